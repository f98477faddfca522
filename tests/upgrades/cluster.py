"""Reading the simulated cluster in upgrade tests: node states, workload pods, and capacity over time."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

from kubesim.server import Simulator
from tests.workers.harness import JobRunner
from workers.upgrade_reads import CHECKPOINT


def runner_for(simulator: Simulator, tmp_path: Path) -> JobRunner:
    """A job runner (fakeredis, in-process RQ worker) whose jobs act on ``simulator``."""
    return JobRunner(simulator.write_kubeconfig(tmp_path / "kubeconfig"))


def align_kubelets(simulator: Simulator, version: str) -> None:
    """Set every node's kubelet and kube-proxy version (before the controllers start)."""
    for node in simulator.store.list("nodes")[0]:

        def change(obj: dict[str, Any]) -> None:
            info = obj.setdefault("status", {}).setdefault("nodeInfo", {})
            info["kubeletVersion"] = info["kubeProxyVersion"] = version

        simulator.store.mutate("nodes", None, node["metadata"]["name"], change, subresource="status")


@dataclasses.dataclass(frozen=True)
class NodeState:
    """What a test checks about a node after an upgrade."""

    kubelet: str
    cordoned: bool
    checkpoint: dict[str, Any] | None
    in_maintenance: bool


def node_state(simulator: Simulator, name: str) -> NodeState:
    """The node's kubelet version, cordon, upgrade checkpoint and maintenance record."""
    node = simulator.store.get("nodes", None, name)
    annotations = node["metadata"].get("annotations") or {}
    raw = annotations.get(CHECKPOINT)
    return NodeState(
        kubelet=node["status"]["nodeInfo"]["kubeletVersion"],
        cordoned=bool(node["spec"].get("unschedulable")),
        checkpoint=json.loads(raw) if raw else None,
        in_maintenance="chatops.io/maintenance" in annotations,
    )


def workload_pods(simulator: Simulator) -> dict[str, tuple[str, str]]:
    """``namespace/name`` → (uid, node) of every pod outside kube-system."""
    pods, _ = simulator.store.list("pods")
    return {
        f"{p['metadata']['namespace']}/{p['metadata']['name']}": (
            p["metadata"]["uid"],
            p["spec"].get("nodeName", ""),
        )
        for p in pods
        if p["metadata"]["namespace"] != "kube-system"
    }


def pods_on(simulator: Simulator, node: str) -> set[str]:
    """``namespace/name`` of the workload pods on ``node``."""
    return {key for key, (_, where) in workload_pods(simulator).items() if where == node}


class CapacityWatch:
    """Counts the Ready, schedulable worker nodes after every node write (from the store's own events)."""

    def __init__(self, simulator: Simulator) -> None:
        self._lock = threading.Lock()
        self._usable: dict[str, bool] = {}
        self.counts: list[int] = []
        for node in simulator.store.list("nodes")[0]:
            self._record("ADDED", node)
        self.counts.append(self.current)
        self._unsubscribe = simulator.store.subscribe(self._on_write)

    @property
    def current(self) -> int:
        """Usable worker nodes now."""
        return sum(self._usable.values())

    def _record(self, kind: str, node: dict[str, Any]) -> None:
        name = node["metadata"]["name"]
        if kind == "DELETED":
            self._usable.pop(name, None)
            return
        conditions = (node.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        worker = "node-role.kubernetes.io/control-plane" not in (node["metadata"].get("labels") or {})
        self._usable[name] = ready and worker and not (node.get("spec") or {}).get("unschedulable")

    def _on_write(self, kind: str, resource: str, obj: dict[str, Any]) -> None:
        if resource != "nodes":
            return
        with self._lock:
            self._record(kind, obj)
            self.counts.append(self.current)

    def stop(self) -> None:
        """Stop counting."""
        self._unsubscribe()
