"""``backup restore``: what re-applying a configuration backup would do to the live cluster, computed
read-only.

Each object of the backup is compared with the live one of the same kind, namespace and name, both
cleaned the way a backup cleans them: it would be created (not live), changed (the fields that differ,
named by path), or left unchanged. Only fields the backup sets are compared, since ``kubectl apply``
leaves the others alone. Lists of named items (containers, ports, env) are compared item by item.
Nothing is written: people restore with ``kubectl apply -f`` themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from shared.messages import backups as wording
from workers.backup_store import object_key
from workers.config_export import clean
from workers.exported_kinds import ExportedType, definitions, types_by_kind

MAX_FIELDS = 6
"""Changed fields named per object; more are counted."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Preview:
    """The outcome of comparing a backup with the cluster."""

    created: tuple[str, ...] = ()
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each changed object with the paths of the fields that differ."""
    unchanged: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form returned in job results."""
        return {
            "created": list(self.created),
            "changed": {key: list(fields) for key, fields in self.changed},
            "unchanged": list(self.unchanged),
        }


def changed_fields(wanted: Any, live: Any, path: str = "") -> list[str]:
    """The paths where ``wanted`` (the backup) sets something ``live`` does not have the same."""
    if isinstance(wanted, Mapping) and isinstance(live, Mapping):
        paths: list[str] = []
        for key, value in wanted.items():
            child = f"{path}.{key}" if path else str(key)
            paths.extend([child] if key not in live else changed_fields(value, live[key], child))
        return paths
    if _named_items(wanted) and _named_items(live):
        live_by_name = {item["name"]: item for item in live}
        paths = []
        for item in wanted:
            child = f"{path}[{item['name']}]"
            found = live_by_name.get(item["name"])
            paths.extend([child] if found is None else changed_fields(item, found, child))
        wanted_names = {item["name"] for item in wanted}
        paths.extend(f"{path}[{name}]" for name in live_by_name if name not in wanted_names)
        return paths
    return [] if wanted == live else [path]


def _named_items(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value)
    )


def _live_objects(exported: ExportedType, namespace: str | None) -> dict[str, dict[str, Any]]:
    """The live objects of one kind, cleaned as a backup would keep them, by object key."""
    items = exported.items(namespace, missing=wording.list_missing(exported.kind))
    cleaned = (clean(exported.kind, exported.api_version, item) for item in items)
    return {object_key(doc): doc for doc in cleaned}


def in_scope(document: Mapping[str, Any], namespace: str | None) -> bool:
    """Whether a backed-up object belongs to the namespace a preview is limited to (``None``: all)."""
    if namespace is None:
        return True
    meta = document.get("metadata") or {}
    if document.get("kind") == "Namespace":
        return meta.get("name") == namespace
    return meta.get("namespace") == namespace


def preview(documents: Sequence[Mapping[str, Any]], *, namespace: str | None) -> Preview:
    """Compare the backup's objects (limited to ``namespace`` if given) with the live cluster."""
    chosen = [doc for doc in documents if in_scope(doc, namespace)]
    types = types_by_kind(definitions())
    live: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(str(doc.get("kind")) for doc in chosen):
        exported = types.get(kind)
        if exported is not None:
            live.update(_live_objects(exported, namespace))
    created: list[str] = []
    changed: list[tuple[str, tuple[str, ...]]] = []
    unchanged: list[str] = []
    for document in chosen:
        key = object_key(document)
        current = live.get(key)
        if current is None:
            created.append(key)
            continue
        fields = changed_fields(document, current)
        if fields:
            changed.append((key, tuple(fields)))
        else:
            unchanged.append(key)
    return Preview(created=tuple(created), changed=tuple(changed), unchanged=tuple(unchanged))
