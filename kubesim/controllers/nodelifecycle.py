"""Node lifecycle controller: keeps the `node.kubernetes.io/unschedulable:NoSchedule` taint in step with
cordon.

Mirrors `doNoScheduleTaintingPass` (kubernetes.md §2.3): the taint (no value, no timeAdded) is present exactly
while `spec.unschedulable` is true. Only nodes written since the last pass are looked at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import WorkQueue
from kubesim.podutil import UNSCHEDULABLE_TAINT, name_of

if TYPE_CHECKING:
    from kubesim.store import Store

_TAINT = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}


def _has_taint(node: dict[str, Any]) -> bool:
    return any(
        t.get("key") == UNSCHEDULABLE_TAINT and t.get("effect") == "NoSchedule"
        for t in (node.get("spec") or {}).get("taints") or []
    )


def _reconcile_taint(node: dict[str, Any]) -> None:
    spec = node.setdefault("spec", {})
    others = [
        t
        for t in spec.get("taints") or []
        if not (t.get("key") == UNSCHEDULABLE_TAINT and t.get("effect") == "NoSchedule")
    ]
    if spec.get("unschedulable"):
        others.append(dict(_TAINT))
    if others:
        spec["taints"] = others
    else:
        spec.pop("taints", None)


class NodeLifecycleController:
    """Adds or removes the unschedulable taint on every node whose cordon state and taints disagree."""

    name = "nodelifecycle"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        """Nodes written are looked at again."""
        if resource == "nodes" and event != "DELETED":
            self.queue.add(name_of(obj))

    def sync(self, now: float) -> float | None:
        """Fix the taint of every changed node that needs it."""
        batch = self.queue.take(now)
        if batch.everything:
            nodes = self.store.list("nodes", copy=False)[0]
        else:
            found = (peek_or_none(self.store, "nodes", None, name) for name in sorted(batch.keys))
            nodes = [node for node in found if node is not None]
        for node in nodes:
            if bool((node.get("spec") or {}).get("unschedulable")) != _has_taint(node):
                with tolerate_races():
                    self.store.mutate("nodes", None, name_of(node), _reconcile_taint)
        return None
