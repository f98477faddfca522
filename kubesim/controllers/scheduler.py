"""The scheduler: binds pending pods to Ready nodes that fit them, spreading each workload across nodes.

Filters, in kube-scheduler's order: node readiness, cordon (`spec.unschedulable`, unless the pod tolerates
the unschedulable taint, as DaemonSet pods do), nodeSelector, NoSchedule/NoExecute taints, then CPU, memory
and pod-count room against `status.allocatable`. Among the nodes left, the least loaded wins: fewest pods of
the same controller, then the lowest requested share of CPU and memory, then fewest pods, then the name.
Pods that fit nowhere stay Pending with `PodScheduled=False` (`Unschedulable`) and an explanatory message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import tolerate_races
from kubesim.podutil import (
    UNSCHEDULABLE_TAINT,
    blocking_taints,
    condition_true,
    controller_of,
    creation_key,
    is_terminal,
    is_terminating,
    meta,
    name_of,
    node_selector_matches,
    pod_requests,
    set_condition,
    tolerates,
)
from kubesim.quantities import int_value, milli_value

if TYPE_CHECKING:
    from kubesim.faults import Faults
    from kubesim.store import Store

Obj = dict[str, Any]


@dataclass
class _NodeRoom:
    """What is already committed on a node during one scheduling pass."""

    node: Obj
    cpu: int = 0
    memory: int = 0
    pods: int = 0
    owners: Counter[str] = field(default_factory=Counter)

    def allocatable(self, resource: str, default: str) -> str:
        alloc = (self.node.get("status") or {}).get("allocatable") or {}
        return str(alloc.get(resource, default))

    def add(self, pod: Obj) -> None:
        cpu, memory = pod_requests(pod)
        self.cpu += cpu
        self.memory += memory
        self.pods += 1
        owner = controller_of(pod)
        if owner is not None:
            self.owners[str(owner.get("uid"))] += 1

    def score(self, pod: Obj) -> tuple[int, float, int, str]:
        owner = controller_of(pod)
        same = self.owners[str(owner.get("uid"))] if owner is not None else 0
        cpu_total = max(1, milli_value(self.allocatable("cpu", "4")))
        memory_total = max(1, int_value(self.allocatable("memory", "16Gi")))
        share = self.cpu / cpu_total + self.memory / memory_total
        return (same, share, self.pods, name_of(self.node))


class Scheduler:
    """Binds every schedulable pending pod in one pass, oldest first."""

    name = "scheduler"

    def __init__(self, store: Store, *, faults: Faults) -> None:
        self.store = store
        self.faults = faults

    def sync(self, now: float) -> float | None:
        """Bind what fits; mark what does not."""
        pods, _ = self.store.list("pods")
        pending = sorted(
            (p for p in pods if not (p.get("spec") or {}).get("nodeName") and not is_terminating(p)),
            key=creation_key,
        )
        pending = [p for p in pending if not is_terminal(p)]
        if not pending:
            return None
        nodes, _ = self.store.list("nodes")
        rooms = {name_of(n): _NodeRoom(n) for n in sorted(nodes, key=name_of)}
        for pod in pods:
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name in rooms and not is_terminal(pod):
                rooms[node_name].add(pod)
        stamp = self.store.clock.timestamp(now)
        for pod in pending:
            reasons: Counter[str] = Counter()
            fitting = []
            for room in rooms.values():
                reason = self._misfit(pod, room)
                if reason is None:
                    fitting.append(room)
                else:
                    reasons[reason] += 1
            with tolerate_races():
                if fitting:
                    best = min(fitting, key=lambda r: r.score(pod))
                    self._bind(pod, best, stamp)
                    best.add(pod)
                else:
                    self._mark_unschedulable(pod, _message(len(rooms), reasons), stamp)
        return None

    def _misfit(self, pod: Obj, room: _NodeRoom) -> str | None:
        """Why the pod cannot go to this node, or None when it fits."""
        node = room.node
        spec = pod.get("spec") or {}
        tolerations = spec.get("tolerations") or []
        if not condition_true(node, "Ready") or name_of(node) in self.faults.not_ready_nodes:
            return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
        unschedulable_taint = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
        if (node.get("spec") or {}).get("unschedulable") and not tolerates(tolerations, unschedulable_taint):
            return "node(s) were unschedulable"
        if not node_selector_matches(spec, node):
            return "node(s) didn't match Pod's node affinity/selector"
        taints = blocking_taints(node, tolerations)
        if taints:
            return f"node(s) had untolerated taint {{{taints[0]['key']}: {taints[0].get('value', '')}}}"
        cpu, memory = pod_requests(pod)
        if room.pods + 1 > int_value(room.allocatable("pods", "110")):
            return "Too many pods"
        if cpu and room.cpu + cpu > milli_value(room.allocatable("cpu", "4")):
            return "Insufficient cpu"
        if memory and room.memory + memory > int_value(room.allocatable("memory", "16Gi")):
            return "Insufficient memory"
        return None

    def _bind(self, pod: Obj, room: _NodeRoom, stamp: str) -> None:
        namespace, name = meta(pod).get("namespace"), name_of(pod)
        node_name = name_of(room.node)

        def bind(obj: Obj) -> None:
            obj.setdefault("spec", {})["nodeName"] = node_name

        def scheduled(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            set_condition(
                status, {"type": "PodScheduled", "status": "True", "lastProbeTime": None}, now=stamp
            )

        self.store.mutate("pods", namespace, name, bind)
        self.store.mutate("pods", namespace, name, scheduled, subresource="status")

    def _mark_unschedulable(self, pod: Obj, message: str, stamp: str) -> None:
        def mark(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            condition = {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": message,
                "lastProbeTime": None,
            }
            set_condition(status, condition, now=stamp)

        self.store.mutate("pods", meta(pod).get("namespace"), name_of(pod), mark, subresource="status")


def _message(total: int, reasons: Counter[str]) -> str:
    """kube-scheduler's FitError text: `0/4 nodes are available: 1 Insufficient cpu, 3 node(s) were …`."""
    if not reasons:
        return "0/0 nodes are available: no nodes available to schedule pods."
    parts = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    return f"0/{total} nodes are available: {parts}."
