"""The command reference in docs/ is generated from the grammar and kept current."""

from __future__ import annotations

from bot.docs import DOC_PATH, render_command_reference
from shared.vocabulary import COMMAND_NAMES


def test_the_committed_command_reference_is_up_to_date() -> None:
    """docs/commands.md equals what `python -m bot.docs` renders now."""
    assert DOC_PATH.read_text(encoding="utf-8") == render_command_reference()


def test_the_reference_lists_every_command() -> None:
    """Each command of the vocabulary has its row."""
    text = render_command_reference()
    for name in COMMAND_NAMES:
        assert f"| `{name}" in text
