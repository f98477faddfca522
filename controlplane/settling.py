"""When a real cluster has settled: every node Ready, every workload rolled out and available, every
PodDisruptionBudget observed by the disruption controller. Tests and benchmarks start from there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from kubernetes import dynamic

Obj = dict[str, Any]

SETTLE_SECONDS = 120.0


class NotSettled(RuntimeError):
    """The cluster did not settle in time; the message lists what was still moving."""


def _items(api: dynamic.DynamicClient, api_version: str, kind: str) -> Iterable[Obj]:
    listed = api.resources.get(api_version=api_version, kind=kind).get()
    items: list[Obj] = listed.to_dict().get("items") or []
    return items


def _name(obj: Obj) -> str:
    metadata = obj["metadata"]
    return f"{obj.get('kind', '')} {metadata.get('namespace', '')}/{metadata['name']}".replace(" /", " ")


def _node_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _observed(obj: Obj) -> bool:
    status = obj.get("status") or {}
    return bool(status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 0))


def _deployment_done(deployment: Obj) -> bool:
    if deployment["spec"].get("paused"):
        return _observed(deployment)
    status, replicas = deployment.get("status") or {}, deployment["spec"].get("replicas", 1)
    counts = (status.get("replicas", 0), status.get("updatedReplicas", 0), status.get("availableReplicas", 0))
    return _observed(deployment) and counts == (replicas, replicas, replicas)


def _statefulset_done(statefulset: Obj) -> bool:
    status, replicas = statefulset.get("status") or {}, statefulset["spec"].get("replicas", 1)
    return _observed(statefulset) and status.get("readyReplicas", 0) == replicas == status.get("replicas", 0)


def _daemonset_done(daemonset: Obj) -> bool:
    status = daemonset.get("status") or {}
    desired = status.get("desiredNumberScheduled", -1)
    return _observed(daemonset) and desired == status.get("numberReady") == status.get(
        "updatedNumberScheduled"
    )


def _budget_observed(budget: Obj) -> bool:
    return _observed(budget) and "disruptionsAllowed" in (budget.get("status") or {})


CHECKS: tuple[tuple[str, str, Callable[[Obj], bool]], ...] = (
    ("v1", "Node", _node_ready),
    ("apps/v1", "Deployment", _deployment_done),
    ("apps/v1", "StatefulSet", _statefulset_done),
    ("apps/v1", "DaemonSet", _daemonset_done),
    ("policy/v1", "PodDisruptionBudget", _budget_observed),
)


NODE_CONDITION_TAINTS = "node.kubernetes.io/"
"""The prefix of the taints the node controller puts on nodes that are not (yet) Ready."""
CORDONED = "node.kubernetes.io/unschedulable"
"""The one taint of that prefix a scenario may mean: it marks a node the scenario starts cordoned."""


def nodes_ready(api: dynamic.DynamicClient, names: list[str], *, seconds: float = SETTLE_SECONDS) -> None:
    """Wait until the named nodes are Ready and carry none of the node controller's condition taints."""
    nodes = api.resources.get(api_version="v1", kind="Node")

    def waiting() -> list[str]:
        pending = []
        for name in names:
            node = nodes.get(name=name).to_dict()
            taints = (node.get("spec") or {}).get("taints") or []
            if not _node_ready(node) or any(
                t["key"].startswith(NODE_CONDITION_TAINTS) and t["key"] != CORDONED for t in taints
            ):
                pending.append(name)
        return pending

    deadline = time.monotonic() + seconds
    while pending := waiting():
        if time.monotonic() > deadline:
            raise NotSettled(f"nodes not Ready after {seconds:.0f} s: {', '.join(pending)}")
        time.sleep(0.1)


def unsettled(api: dynamic.DynamicClient) -> list[str]:
    """What has not settled yet (empty when everything has)."""
    moving = []
    for api_version, kind, done in CHECKS:
        moving += [_name({**obj, "kind": kind}) for obj in _items(api, api_version, kind) if not done(obj)]
    return moving


def settled(api: dynamic.DynamicClient, *, seconds: float = SETTLE_SECONDS) -> None:
    """Wait until nothing is moving; NotSettled after ``seconds`` names what still was."""
    deadline = time.monotonic() + seconds
    while moving := unsettled(api):
        if time.monotonic() > deadline:
            raise NotSettled(f"not settled after {seconds:.0f} s: {', '.join(moving)}")
        time.sleep(0.25)
