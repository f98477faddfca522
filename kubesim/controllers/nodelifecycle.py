"""Node lifecycle controller: keeps the `node.kubernetes.io/unschedulable:NoSchedule` taint in step with
cordon.

Mirrors `doNoScheduleTaintingPass` (kubernetes.md §2.3): the taint (no value, no timeAdded) is present exactly
while `spec.unschedulable` is true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import tolerate_races
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

    def sync(self, now: float) -> float | None:
        """Fix the taint of every node that needs it."""
        nodes, _ = self.store.list("nodes")
        for node in nodes:
            if bool((node.get("spec") or {}).get("unschedulable")) != _has_taint(node):
                with tolerate_races():
                    self.store.mutate("nodes", None, name_of(node), _reconcile_taint)
        return None
