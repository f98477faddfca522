"""Server-side apply with field ownership: each apply's manager owns the fields its configuration sets
(recorded in ``metadata.managedFields`` as FieldsV1), another manager that sets one of them to a
different value is refused with 409 naming the owner unless it forces, and a field a manager stops
applying is removed when nobody else owns it.

Simplified against structured-merge-diff: only ``Apply`` managers own fields here (not other writers),
and lists are owned whole (no ``k:`` keys by merge key).
"""

from __future__ import annotations

import copy
from typing import Any

from kubesim.errors import ApiError

Obj = dict[str, Any]
Path = tuple[str, ...]
_IDENTITY: frozenset[Path] = frozenset(
    {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
)
_MISSING = object()


def leaf_paths(value: Any, prefix: Path = ()) -> set[Path]:
    """The paths of the scalar (or list) fields a configuration sets."""
    if isinstance(value, dict) and value:
        found: set[Path] = set()
        for key, item in value.items():
            found |= leaf_paths(item, (*prefix, str(key)))
        return found
    return {prefix} if prefix and prefix not in _IDENTITY and prefix[0] != "status" else set()


def _value_at(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set(obj: Obj, path: Path, value: Any) -> None:
    for key in path[:-1]:
        child = obj.get(key)
        if not isinstance(child, dict):
            child = obj[key] = {}
        obj = child
    obj[path[-1]] = copy.deepcopy(value)


def _remove(obj: Obj, path: Path) -> None:
    parents = [obj]
    for key in path[:-1]:
        child = parents[-1].get(key)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):  # drop maps left empty
        if parents[depth] == {}:
            parents[depth - 1].pop(path[depth - 1], None)


def _fields_v1(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


def _paths_of(tree: Obj, prefix: Path = ()) -> set[Path]:
    if not tree:
        return {prefix} if prefix else set()
    found: set[Path] = set()
    for key, child in tree.items():
        if key.startswith("f:"):
            found |= _paths_of(child or {}, (*prefix, key[2:]))
    return found


def owners(obj: Obj | None) -> dict[str, set[Path]]:
    """The fields each Apply manager owns, from the object's managedFields."""
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return {
        str(entry["manager"]): _paths_of(entry.get("fieldsV1") or {})
        for entry in entries
        if entry.get("operation") == "Apply" and entry.get("manager")
    }


def conflict(conflicts: list[tuple[str, Path]]) -> ApiError:
    """409 Conflict in apimachinery's words: one conflict on a line, several listed by manager."""
    shown = sorted((manager, "." + ".".join(path)) for manager, path in conflicts)
    if len(shown) == 1:
        summary = f'conflict with "{shown[0][0]}": {shown[0][1]}'
    else:
        lines: list[str] = []
        for manager in sorted({m for m, _ in shown}):
            lines.append(f'conflicts with "{manager}":')
            lines += [f"- {field}" for m, field in shown if m == manager]
        summary = "\n".join(lines)
    plural = "" if len(shown) == 1 else "s"
    causes = [
        {"reason": "FieldManagerConflict", "message": f'conflict with "{manager}"', "field": field}
        for manager, field in shown
    ]
    return ApiError(
        409,
        "Conflict",
        f"Apply failed with {len(shown)} conflict{plural}: {summary}",
        details={"causes": causes},
    )


def apply(
    current: Obj | None, applied: Obj, *, manager: str, force: bool, api_version: str, stamp: str
) -> Obj:
    """The object an apply of `applied` by `manager` leaves (the current one is not touched), or 409."""
    owned = owners(current)
    mine = leaf_paths(applied)
    conflicts = [
        (other, path)
        for other, paths in owned.items()
        if other != manager
        for path in sorted(mine & paths)
        if _value_at(current, path) != _value_at(applied, path)
    ]
    if conflicts and not force:
        raise conflict(conflicts)
    for other, path in conflicts:
        owned[other].discard(path)
    result: Obj = copy.deepcopy(current) if current is not None else {"metadata": {}}
    for path in mine:
        _set(result, path, _value_at(applied, path))
    others = set().union(*(paths for other, paths in owned.items() if other != manager))
    for path in owned.get(manager, set()) - mine - others:
        _remove(result, path)
    owned[manager] = mine
    kept = [
        entry
        for entry in (((current or {}).get("metadata") or {}).get("managedFields") or [])
        if entry.get("operation") != "Apply"
    ]
    entries = [
        {
            "manager": name,
            "operation": "Apply",
            "apiVersion": api_version,
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields_v1(paths),
        }
        for name, paths in owned.items()
        if paths
    ]
    result.setdefault("metadata", {})["managedFields"] = [*entries, *kept]
    for key in ("apiVersion", "kind"):
        if key in applied:
            result[key] = applied[key]
    result["metadata"]["name"] = (applied.get("metadata") or {}).get("name") or result["metadata"].get("name")
    return result
