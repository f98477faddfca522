"""What a mutating job is about to do, computed before it changes anything.

A :class:`Plan` is shown to the requester (alone on a dry run) and returned in the job result as JSON
with the ``resourceVersion`` of every object it was computed from, so a later approval step can tell
whether the cluster moved since the plan was shown (:func:`stale_keys`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


def object_key(kind: str, obj: Mapping[str, Any]) -> str:
    """``kind/namespace/name`` (or ``kind/name`` when cluster-scoped) for the resource-version record."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{kind}/{namespace}/{meta.get('name')}" if namespace else f"{kind}/{meta.get('name')}"


def version_of(obj: Mapping[str, Any]) -> str:
    """An object's ``metadata.resourceVersion`` ("" if absent)."""
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


@dataclasses.dataclass
class Plan:
    """One job's plan: what it acts on, what it will do (``details``) and what it read."""

    action: str
    target: str
    text: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    resource_versions: dict[str, str] = dataclasses.field(default_factory=dict)

    def saw(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Record the resourceVersion of an object the plan was computed from."""
        self.resource_versions[object_key(kind, obj)] = version_of(obj)

    def to_json(self) -> dict[str, Any]:
        """The JSON returned in the job result under ``"plan"``."""
        return {
            "action": self.action,
            "target": self.target,
            "text": self.text,
            **self.details,
            "resource_versions": dict(self.resource_versions),
        }


def stale_keys(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Objects whose resourceVersion changed (or that vanished) since the plan was made."""
    return sorted(key for key, version in recorded.items() if current.get(key) != version)
