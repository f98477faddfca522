"""What a mutating job is about to do, computed before it changes anything.

A :class:`Plan` is shown to the requester (alone on a dry run) and returned in the job result as JSON
with a *witness* of every object it was computed from, so the approved job can tell whether the
cluster moved since the plan was shown (:func:`stale_keys`).

A witness is a digest of what the plan rests on in an object: which object it is (uid, deletion,
labels, owners) and what is wanted of it (``spec``). Not its ``resourceVersion``: kubelets and
controllers rewrite status all the time (a node's heartbeat every few minutes, a budget's counts
whenever a pod's readiness changes), and an approval that takes ten minutes would always find the
node "moved". What a drain's plan depends on does show in specs: the node cordoned or tainted, a
pod replaced (new uid) or gone, a budget's limits changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any


def object_key(kind: str, obj: Mapping[str, Any]) -> str:
    """``kind/namespace/name`` (or ``kind/name`` when cluster-scoped) for the resource-version record."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{kind}/{namespace}/{meta.get('name')}" if namespace else f"{kind}/{meta.get('name')}"


def witness_of(obj: Mapping[str, Any]) -> str:
    """The digest of an object's identity and ``spec`` (status and bookkeeping left out)."""
    meta = obj.get("metadata") or {}
    basis = {
        "uid": meta.get("uid"),
        "deletionTimestamp": meta.get("deletionTimestamp"),
        "labels": meta.get("labels") or {},
        "ownerReferences": meta.get("ownerReferences") or [],
        "spec": obj.get("spec"),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclasses.dataclass
class Plan:
    """One job's plan: what it acts on, what it will do (``details``) and the witnesses of what it read."""

    action: str
    target: str
    text: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    witnesses: dict[str, str] = dataclasses.field(default_factory=dict)

    def saw(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Record the witness of an object the plan was computed from."""
        self.witnesses[object_key(kind, obj)] = witness_of(obj)

    def to_json(self) -> dict[str, Any]:
        """The JSON returned in the job result under ``"plan"``."""
        return {
            "action": self.action,
            "target": self.target,
            "text": self.text,
            **self.details,
            "witnesses": dict(self.witnesses),
        }


def stale_keys(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Objects whose witness changed (or that vanished) since the plan was made."""
    return sorted(key for key, version in recorded.items() if current.get(key) != version)
