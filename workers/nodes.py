"""Cordon and uncordon, kubectl's way: read the node, compare, then strategic-merge-patch ``spec.unschedulable``.

Also the node annotations the maintenance record lives in (a JSON value under one key).
"""

from __future__ import annotations

from typing import Any

from shared.messages import jobs as messages
from workers import cluster
from workers.access import rehearse
from workers.kube import read, write
from workers.locks import Guard
from workers.plans import Plan
from workers.report import Reporter


def read_node(node: str) -> dict[str, Any]:
    """The node as JSON (404 → NotFound naming the node)."""
    found: dict[str, Any] = read(cluster.core().read_node, node, missing=messages.node_not_found(node))
    return found


def is_unschedulable(node_obj: dict[str, Any]) -> bool:
    """``spec.unschedulable`` (absent reads as false)."""
    return bool((node_obj.get("spec") or {}).get("unschedulable"))


def set_unschedulable(
    node: str, *, value: bool, dry_run: bool, reporter: Reporter, guard: Guard | None = None
) -> dict[str, Any]:
    """Cordon (``value=True``) or uncordon a node; returns ``{"node", "changed", "plan"[, "dry_run"]}``."""
    state = "cordoned" if value else "uncordoned"
    current = read_node(node)
    plan = Plan(action="cordon" if value else "uncordon", target=f"node/{node}")
    plan.saw("node", current)
    plan.text = messages.would_cordon(node) if value else messages.would_uncordon(node)
    if is_unschedulable(current) == value:
        reporter.progress(messages.node_already(node, state))
        return {"node": node, "changed": False, "plan": plan.to_json()}
    # kubectl sends a strategic merge patch; null removes the field on uncordon.
    body = {"spec": {"unschedulable": True if value else None}}
    if dry_run:
        rehearse(write, cluster.core().patch_node, node, body, missing=messages.node_not_found(node))
        reporter.emit_plan(plan.text, plan=plan.to_json())
        return {"node": node, "changed": False, "dry_run": True, "plan": plan.to_json()}
    if guard is not None:
        guard.check()
    write(cluster.core().patch_node, node, body, missing=messages.node_not_found(node))
    reporter.progress(messages.node_cordoned(node) if value else messages.node_uncordoned(node))
    return {"node": node, "changed": True, "plan": plan.to_json()}


def set_annotation(node: str, key: str, value: str | None) -> dict[str, Any]:
    """Set (or with ``None`` remove) one node annotation through a strategic merge patch."""
    body = {"metadata": {"annotations": {key: value}}}
    patched: dict[str, Any] = write(
        cluster.core().patch_node, node, body, missing=messages.node_not_found(node)
    )
    return patched
