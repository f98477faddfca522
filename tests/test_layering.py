"""The layers are a contract: the composition root over the bot and the workers, which are independent
of each other, over what they share; what they share imports no SDK; kubesim stands alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PURE_ALLOWED_THIRD_PARTY = {"yaml"}
"""PyYAML reads policy files; it is a parser, not an SDK."""


def module_name(path: Path) -> str:
    """The dotted name of a source file under ROOT (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute(node: ast.ImportFrom, importer: str, *, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names, relative levels resolved against its importer."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module imported by each file of ``package``, as absolute names."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        names: set[str] = set()
        importer = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.add(absolute(node, importer, is_package=path.name == "__init__.py"))
        found[str(path.relative_to(ROOT))] = names
    return found


def test_relative_imports_resolve_to_their_absolute_names() -> None:
    """``from .names import x`` in shared/grammar.py is shared.names; ``from .. import y`` in a
    sub-package's __init__ is its grandparent."""
    inner = ast.parse("from .names import x").body[0]
    outer = ast.parse("from .. import y").body[0]
    assert isinstance(inner, ast.ImportFrom) and isinstance(outer, ast.ImportFrom)
    assert absolute(inner, "shared.grammar", is_package=False) == "shared.names"
    assert absolute(outer, "shared.messages", is_package=True) == "shared"


@pytest.mark.parametrize("package", ["shared", "bot.core"])
def test_the_pure_packages_import_only_the_standard_library_yaml_and_lower_layers(package: str) -> None:
    """``shared`` and the conversation core use nothing but the standard library, PyYAML, ``shared``
    and (for the core) itself: no SDK, no queue, no cluster client."""
    own = ("shared",) if package == "shared" else ("shared", "bot.core")
    offenders = {
        file: sorted(
            name
            for name in names
            if name.split(".")[0] not in sys.stdlib_module_names
            and name.split(".")[0] not in PURE_ALLOWED_THIRD_PARTY
            and not name.startswith(own)
        )
        for file, names in imported_modules(package).items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


@pytest.mark.parametrize(("package", "other"), [("bot", "workers"), ("workers", "bot")])
def test_the_bot_and_the_workers_never_import_each_other(package: str, other: str) -> None:
    """They meet only in ``shared`` (below both) and ``chatops`` (the composition root above both)."""
    offenders = {
        file: sorted(name for name in names if name.split(".")[0] == other)
        for file, names in imported_modules(package).items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


@pytest.mark.parametrize("package", ["bot", "shared", "kubesim"])
def test_only_the_workers_import_the_kubernetes_client(package: str) -> None:
    """The bot, what it shares and the simulator never import the official Kubernetes client."""
    offenders = {
        file: sorted(name for name in names if name.split(".")[0] == "kubernetes")
        for file, names in imported_modules(package).items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_the_import_contracts_hold_with_no_exceptions() -> None:
    """import-linter's contracts in pyproject.toml pass (the same check `make lint` runs), and none of
    them carries an ``ignore_imports`` list."""
    assert "ignore_imports" not in (ROOT / "pyproject.toml").read_text()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def import_cycles(*packages: str) -> list[list[str]]:
    """Groups of modules that import each other at run time (annotations-only imports excluded),
    found as the strongly connected components of grimp's import graph."""
    import grimp  # import-linter's own graph builder

    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in graph.modules}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in edges[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = [stack.pop()]
            while group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(edges):
        if module not in order:
            visit(module)
    return cycles


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle anywhere in the product (a function-level import counts, annotations do not)."""
    assert import_cycles("chatops", "bot", "workers", "shared", "kubesim", "controlplane") == []
