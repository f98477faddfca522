"""The layers are a contract: the conversation core imports no SDK, and each side keeps to its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CORE_ALLOWED_THIRD_PARTY = {"yaml"}
"""PyYAML reads policy files; it is a parser, not an SDK."""


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module imported by each file of ``package`` (absolute names, relative ones resolved)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_core_imports_only_the_standard_library_yaml_and_itself() -> None:
    """bot.core is Slack-agnostic: nothing but the standard library, PyYAML and bot.core itself."""
    offenders = {
        file: sorted(
            name
            for name in names
            if name.split(".")[0] not in sys.stdlib_module_names
            and name.split(".")[0] not in CORE_ALLOWED_THIRD_PARTY
            and not name.startswith("bot.core")
        )
        for file, names in imported_modules("bot.core").items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_workers_share_only_the_pure_core_of_the_bot() -> None:
    """Workers may use bot.core's vocabulary and sentences, never the bot's adapters or Slack."""
    offenders = {
        file: sorted(
            name
            for name in names
            if (name.startswith("bot") and not name.startswith("bot.core")) or name.startswith("slack")
        )
        for file, names in imported_modules("workers").items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


@pytest.mark.parametrize("package", ["bot", "kubesim"])
def test_only_the_workers_import_the_kubernetes_client(package: str) -> None:
    """The bot and the simulator never import the official Kubernetes client."""
    offenders = {
        file: sorted(name for name in names if name.split(".")[0] == "kubernetes")
        for file, names in imported_modules(package).items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_the_import_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml pass (the same check `make lint` runs)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
