"""One busy node and spare nodes to receive its pods: the scenario the drain benchmark and drills share.

:func:`busy_node_scenario` writes a kubesim scenario whose Deployment ``shop`` (guarded by the disruption
budget ``shop-pdb``) must all run on ``node-1``: the spare nodes start cordoned. :func:`settle_on_busy_node`
waits until every replica is Ready there, then uncordons the spares, so a drain of ``node-1`` moves every
replica to them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from kubesim.server import Simulator

BUSY_NODE = "node-1"
DEPLOYMENT = "shop"
NAMESPACE = "default"
BUDGET = "shop-pdb"


def _node(name: str, *, cordoned: bool, pods: int) -> dict[str, Any]:
    capacity = {"cpu": "64", "memory": "256Gi", "pods": str(pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "spec": {"unschedulable": True} if cordoned else {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "nodeInfo": {"kubeletVersion": "v1.31.4", "kubeProxyVersion": "v1.31.4"},
        },
    }


def busy_node_scenario(path: Path, *, replicas: int, spares: int, max_unavailable: int) -> Path:
    """Write the scenario YAML to ``path``: ``replicas`` pods for node-1, ``spares`` cordoned spare nodes."""
    room = max(110, replicas + 10)
    documents: list[dict[str, Any]] = [_node(BUSY_NODE, cordoned=False, pods=room)]
    documents += [_node(f"node-{n}", cordoned=True, pods=room) for n in range(2, spares + 2)]
    labels = {"app": DEPLOYMENT}
    documents.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "shop", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    documents.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": BUDGET, "namespace": NAMESPACE},
            "spec": {"maxUnavailable": max_unavailable, "selector": {"matchLabels": labels}},
        }
    )
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return path


def ready_pods(sim: Simulator, node: str | None = None) -> list[dict[str, Any]]:
    """The Ready, not terminating pods of ``shop`` (on ``node`` if given)."""
    pods, _ = sim.store.list("pods", NAMESPACE)
    found = []
    for pod in pods:
        if (pod["metadata"].get("labels") or {}).get("app") != DEPLOYMENT:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if node is not None and (pod.get("spec") or {}).get("nodeName") != node:
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            found.append(pod)
    return found


def settle_on_busy_node(sim: Simulator, *, replicas: int, seconds: float = 60.0) -> None:
    """Wait until all replicas are Ready on node-1 and the budget has a status, then uncordon the spares."""
    deadline = time.monotonic() + seconds
    while True:
        budget = sim.store.find("poddisruptionbudgets", NAMESPACE, BUDGET) or {}
        settled = "disruptionsAllowed" in (budget.get("status") or {})
        if settled and len(ready_pods(sim, BUSY_NODE)) == replicas:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {replicas} replicas of {DEPLOYMENT} never became Ready on {BUSY_NODE}")
        time.sleep(0.05)
    nodes, _ = sim.store.list("nodes")
    for node in nodes:
        if node["metadata"]["name"] != BUSY_NODE:
            sim.store.patch(
                "nodes",
                None,
                node["metadata"]["name"],
                {"spec": {"unschedulable": None}},
                content_type="application/merge-patch+json",
            )
