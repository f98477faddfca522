"""The README's layout table is the map of the folders: every package is in it, every row exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout_rows() -> list[str]:
    """The paths of the layout table, in order (``bot/core/`` is ``bot/core``)."""
    section = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [match.rstrip("/") for match in re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)]


def test_every_row_of_the_layout_table_is_a_folder() -> None:
    """No row names a folder that is gone."""
    assert [row for row in layout_rows() if not (ROOT / row).is_dir()] == []


def test_every_python_package_at_the_top_and_every_sub_package_of_the_bot_is_in_the_table() -> None:
    """A new top-level package, or a new package inside ``bot/``, gets its row."""
    packages = {
        str(init.parent.relative_to(ROOT))
        for init in [*ROOT.glob("*/__init__.py"), *ROOT.glob("bot/*/__init__.py")]
    }
    assert sorted(packages - set(layout_rows())) == []
