"""The scheduler: binds pending pods to Ready nodes that fit them, spreading each workload across nodes.

Filters, in kube-scheduler's order: node readiness, cordon (`spec.unschedulable`, unless the pod tolerates
the unschedulable taint, as DaemonSet pods do), nodeSelector, NoSchedule/NoExecute taints, then CPU, memory
and pod-count room against `status.allocatable`. Among the nodes left, the least loaded wins: fewest pods of
the same controller, then the lowest requested share of CPU and memory, then fewest pods, then the name.
Pods that fit nowhere stay Pending with `PodScheduled=False` (`Unschedulable`) and an explanatory message.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, object_key
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


@dataclass(frozen=True)
class _Share:
    """What one bound, unfinished pod takes of its node."""

    node: str
    cpu: int
    memory: int
    owner: str | None

    @classmethod
    def of(cls, pod: Obj, node: str) -> _Share:
        cpu, memory = pod_requests(pod)
        owner = controller_of(pod)
        return cls(node, cpu, memory, None if owner is None else str(owner.get("uid")))


@dataclass
class _Load:
    """What is committed on a node: the sum of its pods' shares, kept up to date from pod writes."""

    cpu: int = 0
    memory: int = 0
    pods: int = 0
    owners: Counter[str] = field(default_factory=Counter)

    def add(self, share: _Share, sign: int) -> None:
        self.cpu += sign * share.cpu
        self.memory += sign * share.memory
        self.pods += sign
        if share.owner is not None:
            self.owners[share.owner] += sign
            if not self.owners[share.owner]:
                del self.owners[share.owner]


@dataclass
class _NodeRoom:
    """A node and what is already committed on it, during one scheduling pass."""

    node: Obj
    load: _Load

    @property
    def cpu(self) -> int:
        return self.load.cpu

    @property
    def memory(self) -> int:
        return self.load.memory

    @property
    def pods(self) -> int:
        return self.load.pods

    def allocatable(self, resource: str, default: str) -> str:
        alloc = (self.node.get("status") or {}).get("allocatable") or {}
        return str(alloc.get(resource, default))

    def score(self, pod: Obj) -> tuple[int, float, int, str]:
        owner = controller_of(pod)
        same = self.load.owners[str(owner.get("uid"))] if owner is not None else 0
        cpu_total = max(1, milli_value(self.allocatable("cpu", "4")))
        memory_total = max(1, int_value(self.allocatable("memory", "16Gi")))
        share = self.cpu / cpu_total + self.memory / memory_total
        return (same, share, self.pods, name_of(self.node))


class Scheduler:
    """Binds every schedulable pending pod in one pass, oldest first.

    Node loads are sums kept current from the pods written since the last pass, and pending pods are only
    tried again after some pod or node was written (or the not-ready faults changed): with nothing new, the
    same pods would fit nowhere again.
    """

    name = "scheduler"

    def __init__(self, store: Store, *, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.pods: WorkQueue[Key] = WorkQueue()
        self._changed = True
        self._changed_lock = threading.Lock()
        self._shares: dict[Key, _Share] = {}
        self._loads: dict[str, _Load] = {}
        self._not_ready_seen: frozenset[str] = frozenset()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """Pod writes change node loads; pod and node writes may let a pending pod fit."""
        if resource == "pods":
            self.pods.add(object_key(obj))
        if resource in ("pods", "nodes"):
            with self._changed_lock:
                self._changed = True

    def sync(self, now: float) -> float | None:
        """Bind what fits; mark what does not."""
        batch = self.pods.take(now)
        not_ready = frozenset(self.faults.not_ready_nodes)
        with self._changed_lock:
            changed, self._changed = self._changed or not_ready != self._not_ready_seen, False
        self._not_ready_seen = not_ready
        try:
            self._refresh_loads(batch)
            if changed:
                self._schedule(now)
        except BaseException:
            self.pods.requeue(batch)
            with self._changed_lock:
                self._changed = True
            raise
        return None

    def _refresh_loads(self, batch: Batch[Key]) -> None:
        if batch.everything:
            self._shares.clear()
            self._loads.clear()
            for pod in self.store.list("pods", copy=False)[0]:
                self._account(object_key(pod), pod)
        else:
            for namespace, name in batch.keys:
                self._account((namespace, name), peek_or_none(self.store, "pods", namespace, name))

    def _account(self, key: Key, pod: Obj | None, *, node: str | None = None) -> None:
        """Replace the share of one pod in its node's load (None: the pod is gone)."""
        node_name = node or ("" if pod is None else str((pod.get("spec") or {}).get("nodeName") or ""))
        share = _Share.of(pod, node_name) if pod is not None and node_name and not is_terminal(pod) else None
        old = self._shares.get(key)
        if old == share:
            return
        if old is not None:
            self._loads[old.node].add(old, -1)
            del self._shares[key]
        if share is not None:
            self._loads.setdefault(share.node, _Load()).add(share, 1)
            self._shares[key] = share

    def _schedule(self, now: float) -> None:
        pending = sorted(
            (p for p in self.store.pods_on_node("", copy=False) if not is_terminating(p)), key=creation_key
        )
        pending = [p for p in pending if not is_terminal(p)]
        if not pending:
            return
        nodes, _ = self.store.list("nodes", copy=False)
        rooms = {
            name_of(n): _NodeRoom(n, self._loads.setdefault(name_of(n), _Load()))
            for n in sorted(nodes, key=name_of)
        }
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
                    self._account(object_key(pod), pod, node=name_of(best.node))
                else:
                    self._mark_unschedulable(pod, _message(len(rooms), reasons), stamp)

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

        bound = self.store.mutate("pods", namespace, name, bind)
        self.store.mutate("pods", namespace, name, scheduled, subresource="status")
        self.store.events.record(
            bound,
            reason="Scheduled",
            message=f"Successfully assigned {namespace}/{name} to {node_name}",
            component="default-scheduler",
            host="default-scheduler-kubesim",
            action="Binding",
        )

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
