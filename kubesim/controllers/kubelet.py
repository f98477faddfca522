"""The kubelets of every node, simulated: node status, and pods started, made Ready and removed.

Nodes get a Ready condition (False for `faults.not_ready_nodes`), the pressure conditions, every `nodeInfo`
field the Python client requires, addresses and capacity. A bound pod is started at once (phase Running,
podIP from the node's 10.244.N.0/24 range, host network pods use the node address) and turns Ready
`READY_DELAY` simulated seconds after its containers started. Containers whose image is broken wait in
`ImagePullBackOff` (the pod stays Pending); pods of `faults.stuck_deployments` that are not Ready yet never
become Ready. Terminating pods are removed once their containers exit: `SHUTDOWN_SECONDS` after the
deletion (the pod's `kubesim.io/shutdown-seconds` annotation may say longer), or at the end of the grace
period, whichever comes first.

Each pass looks only at the nodes and pods written since the last one (and the pods on a changed node),
plus pods whose readiness or grace period falls due, and whatever a change of the faults affects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.kubeletstatus import (
    NodeStatus,
    internal_ip,
    node_addresses,
    pod_prefix,
    pod_status,
    shutdown_seconds,
    taken_addresses,
)
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, object_key
from kubesim.podutil import controller_of, is_terminal, is_terminating, meta, name_of

if TYPE_CHECKING:
    from kubesim.faults import Faults
    from kubesim.store import Store

Obj = dict[str, Any]


class Kubelet:
    """All nodes' kubelets in one loop, over the nodes and pods written (or due) since the last pass."""

    name = "kubelet"

    def __init__(self, store: Store, *, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.nodes: WorkQueue[str] = WorkQueue()
        self.pods: WorkQueue[Key] = WorkQueue()
        self.replicasets: WorkQueue[Key] = WorkQueue()
        self._faults_seen: _FaultView | None = None
        self._hosts: dict[str, tuple[str, bool] | None] = {}
        self._writing: tuple[int, Key] | None = None
        """(thread, pod) of the status write in progress: the kubelet's own writes need no second look."""
        self._unschedulable: set[str] = set()
        """Nodes last reported NodeNotSchedulable (kubelet's lastNodeUnschedulable)."""
        self._stopping: set[str] = set()
        """UIDs of the pods whose containers were told to stop (Killing reported)."""

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """Bound pods and nodes written are looked at again (except the pod status the kubelet itself is
        writing: it was computed from the latest pod, and a due readiness has its own timer); so are the
        pods of ReplicaSets written while some deployment is stuck (their stuck state follows the owner)."""
        if resource == "pods":
            if event != "DELETED" and (obj.get("spec") or {}).get("nodeName"):
                key = object_key(obj)
                if self._writing != (threading.get_ident(), key):
                    self.pods.add(key)
        elif resource == "nodes":
            if event != "DELETED":
                self.nodes.add(name_of(obj))
        elif resource == "replicasets" and self.faults.stuck_deployments:
            self.replicasets.add(object_key(obj))

    def sync(self, now: float) -> float | None:
        """Publish node status, then advance every pod bound to a node that changed or is due."""
        self._notice_fault_changes()
        node_batch = self.nodes.take(now)
        pod_batch = self.pods.take(now)
        rs_batch = self.replicasets.take(now)
        try:
            self._sync(node_batch, pod_batch, rs_batch, now)
        except BaseException:
            self.nodes.requeue(node_batch)
            self.pods.requeue(pod_batch)
            self.replicasets.requeue(rs_batch)
            raise
        return self.pods.next_wake()

    def _sync(self, node_batch: Batch[str], pod_batch: Batch[Key], rs_batch: Batch[Key], now: float) -> None:
        if node_batch.everything:
            nodes = self.store.list("nodes", copy=False)[0]
        else:
            found = (peek_or_none(self.store, "nodes", None, name) for name in sorted(node_batch.keys))
            nodes = [node for node in found if node is not None]
        self._sync_nodes(nodes, now)
        if pod_batch.everything:
            self._hosts = {name_of(n): self._host(name_of(n)) for n in nodes} if node_batch.everything else {}
            pods = self.store.list("pods", copy=False)[0]
        else:
            keys = set(pod_batch.keys)
            for node in nodes:
                if self._host_changed(name_of(node)):
                    keys.update(object_key(p) for p in self.store.pods_on_node(name_of(node), copy=False))
            for namespace, name in rs_batch.keys:
                rs = peek_or_none(self.store, "replicasets", namespace, name)
                if rs is not None:
                    owned = self.store.owned_by(str(meta(rs).get("uid")), "pods", copy=False)
                    keys.update(object_key(p) for p in owned)
            found_pods = (peek_or_none(self.store, "pods", ns, name) for ns, name in sorted(keys))
            pods = [pod for pod in found_pods if pod is not None]
        stuck_owners = self._stuck_replicasets()
        used_ips = self._used_ips(pods, everything=pod_batch.everything)
        hosts: dict[str, tuple[str, bool] | None] = {}
        for pod in pods:
            node_name = str((pod.get("spec") or {}).get("nodeName") or "")
            if not node_name:
                continue
            if node_name not in hosts:
                hosts[node_name] = self._host(node_name)
            host = hosts[node_name]
            if host is None:
                continue
            key = object_key(pod)
            with tolerate_races():
                if is_terminating(pod):
                    self.pods.wake_at(key, self._terminate(pod, now))
                elif not is_terminal(pod):
                    owner = controller_of(pod)
                    stuck = owner is not None and owner.get("uid") in stuck_owners
                    ips = used_ips.setdefault(node_name, set())
                    self.pods.wake_at(key, self._run(pod, host, ips, now, stuck=stuck))

    def _host_changed(self, node_name: str) -> bool:
        """True when a node's address or readiness differs from what its pods were last run with."""
        host = self._host(node_name)
        if self._hosts.get(node_name, False) == host:
            return False
        self._hosts[node_name] = host
        return True

    def _host(self, node_name: str) -> tuple[str, bool] | None:
        """(InternalIP, ready) of an existing node, None for a missing node (its pods wait)."""
        node = peek_or_none(self.store, "nodes", None, node_name)
        address = None if node is None else internal_ip(node)
        return None if address is None else (address, node_name not in self.faults.not_ready_nodes)

    def _used_ips(self, pods: list[Obj], *, everything: bool) -> dict[str, set[str]]:
        """Pod IPs in use per node, for the nodes where some of `pods` still needs one."""
        if everything:
            candidates = pods
        else:
            needy = {
                str(p["spec"]["nodeName"])
                for p in pods
                if (p.get("spec") or {}).get("nodeName")
                and not (p.get("status") or {}).get("podIP")
                and not is_terminal(p)
            }
            candidates = [p for node in sorted(needy) for p in self.store.pods_on_node(node, copy=False)]
        used_ips: dict[str, set[str]] = {}
        for pod in candidates:
            node_name = (pod.get("spec") or {}).get("nodeName")
            ip = (pod.get("status") or {}).get("podIP")
            if node_name and ip and not is_terminal(pod):
                used_ips.setdefault(node_name, set()).add(ip)
        return used_ips

    def _notice_fault_changes(self) -> None:
        """Queue what a change of the kubelet-visible faults affects (faults are not store writes)."""
        seen = _FaultView.of(self.faults)
        before, self._faults_seen = self._faults_seen, seen
        if before is None or before == seen:
            return
        for node_name in before.not_ready ^ seen.not_ready:
            self.nodes.add(node_name)
        changed_deployments = before.stuck ^ seen.stuck
        if changed_deployments:
            for rs in self.store.list("replicasets", copy=False)[0]:
                owner = controller_of(rs)
                if (
                    owner is not None
                    and f"{meta(rs).get('namespace')}/{owner.get('name')}" in changed_deployments
                ):
                    self.replicasets.add(object_key(rs))
        changed_images = before.broken ^ seen.broken
        if changed_images:
            for pod in self.store.list("pods", copy=False)[0]:
                images = {c.get("image") for c in (pod.get("spec") or {}).get("containers") or []}
                if images & changed_images and (pod.get("spec") or {}).get("nodeName"):
                    self.pods.add(object_key(pod))

    # ---- nodes ---------------------------------------------------------------------------------------

    def _sync_nodes(self, nodes: list[Obj], now: float) -> None:
        """Update the status of these nodes, giving an InternalIP to those without one."""
        taken: set[str] | None = None
        stamp = self.store.clock.timestamp(now)
        for node in nodes:
            name = name_of(node)
            self._report_schedulable(node)
            ready = name not in self.faults.not_ready_nodes
            address = internal_ip(node)
            if address is None:
                if taken is None:
                    taken = taken_addresses(self.store.list("nodes", copy=False)[0])
                address = next(a for a in node_addresses() if a not in taken)
                taken.add(address)
            with tolerate_races():
                self.store.mutate(
                    "nodes", None, name, NodeStatus(address, ready, stamp), subresource="status"
                )

    # ---- pods ----------------------------------------------------------------------------------------

    def _stuck_replicasets(self) -> set[str]:
        """UIDs of the ReplicaSets owned by deployments listed in `faults.stuck_deployments`."""
        if not self.faults.stuck_deployments:
            return set()
        replicasets, _ = self.store.list("replicasets", copy=False)
        stuck = set()
        for rs in replicasets:
            owner = controller_of(rs)
            if (
                owner is not None
                and f"{meta(rs).get('namespace')}/{owner.get('name')}" in self.faults.stuck_deployments
            ):
                stuck.add(str(meta(rs).get("uid")))
        return stuck

    def _report_schedulable(self, node: Obj) -> None:
        """NodeNotSchedulable / NodeSchedulable when the cordon of a node changes (recordNodeSchedulableEvent)."""
        name = name_of(node)
        unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
        if unschedulable == (name in self._unschedulable):
            return
        self._unschedulable.symmetric_difference_update({name})
        state = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
        self.store.events.record(
            node, reason=state, message=f"Node {name} status is now: {state}", component="kubelet", host=name
        )

    def _report_stopping(self, pod: Obj) -> None:
        """Killing, once per container, when a pod's deletion starts."""
        uid = str(meta(pod).get("uid"))
        if uid in self._stopping:
            return
        self._stopping.add(uid)
        for container in (pod.get("spec") or {}).get("containers") or []:
            self.store.events.record(
                pod,
                reason="Killing",
                message=f"Stopping container {container.get('name')}",
                component="kubelet",
                host=str((pod.get("spec") or {}).get("nodeName")),
            )

    def _terminate(self, pod: Obj, now: float) -> float | None:
        """Remove a terminating pod once its containers have exited; else when to look again.

        Containers exit on SIGTERM after `SHUTDOWN_SECONDS` (or the pod's `kubesim.io/shutdown-seconds`
        annotation, for a slow shutdown), and are killed when the grace period runs out, whichever
        comes first: a drain waits for real shutdowns, not for every pod's full grace period.
        """
        metadata = meta(pod)
        self._report_stopping(pod)
        deadline = self.store.clock.parse(str(metadata["deletionTimestamp"]))
        started = deadline - float(metadata.get("deletionGracePeriodSeconds") or 0)
        deadline = min(deadline, started + shutdown_seconds(metadata))
        if now < deadline:
            return deadline
        self.store.remove("pods", metadata.get("namespace"), name_of(pod))
        self._stopping.discard(str(metadata.get("uid")))
        return None

    def _run(
        self, pod: Obj, node: tuple[str, bool], used_ips: set[str], now: float, *, stuck: bool
    ) -> float | None:
        """Start the pod's containers and report readiness; returns when readiness is next due."""
        host_ip, node_ready = node
        wake: list[float | None] = [None]
        status = pod.get("status") or {}
        pod_ip = status.get("podIP")
        if not pod_ip:
            if (pod.get("spec") or {}).get("hostNetwork"):
                pod_ip = host_ip
            else:
                prefix = pod_prefix(host_ip)
                pod_ip = next(f"{prefix}.{i}" for i in range(2, 255) if f"{prefix}.{i}" not in used_ips)
                used_ips.add(pod_ip)

        def advance(obj: Obj) -> None:
            wake[0] = pod_status(
                obj,
                host_ip=host_ip,
                pod_ip=pod_ip,
                now=now,
                stamp=self.store.clock.timestamp(now),
                parse=self.store.clock.parse,
                node_ready=node_ready,
                stuck=stuck,
                broken=self.faults.is_broken_image,
            )

        namespace = meta(pod).get("namespace")
        self._writing = (threading.get_ident(), (str(namespace or ""), name_of(pod)))
        try:
            self.store.mutate("pods", namespace, name_of(pod), advance, subresource="status")
        finally:
            self._writing = None
        return wake[0]


@dataclass(frozen=True)
class _FaultView:
    """The faults the kubelet acts on, frozen so that a change between passes can be noticed."""

    not_ready: frozenset[str]
    stuck: frozenset[str]
    broken: frozenset[str]

    @classmethod
    def of(cls, faults: Faults) -> _FaultView:
        return cls(
            frozenset(faults.not_ready_nodes),
            frozenset(faults.stuck_deployments),
            frozenset(faults.broken_images),
        )
