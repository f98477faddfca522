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

import hashlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import earliest, peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, object_key
from kubesim.podutil import controller_of, is_terminal, is_terminating, meta, name_of, set_condition

if TYPE_CHECKING:
    from kubesim.faults import Faults
    from kubesim.store import Store

Obj = dict[str, Any]

READY_DELAY = 2.0
"""Simulated seconds between a container starting and the pod reporting Ready."""

DEFAULT_KUBELET_VERSION = "v1.31.4"
DEFAULT_CAPACITY = {"cpu": "4", "memory": "16368492Ki", "pods": "110", "ephemeral-storage": "61202244Ki"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def node_info_defaults(name: str, kubelet_version: str) -> dict[str, str]:
    """Every nodeInfo field the Python client requires, derived deterministically from the node name."""
    machine = uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.kubesim")
    return {
        "architecture": "amd64",
        "bootID": str(uuid.uuid5(machine, "boot")),
        "containerRuntimeVersion": "containerd://1.7.22",
        "kernelVersion": "6.1.0-28-amd64",
        "kubeProxyVersion": kubelet_version,
        "kubeletVersion": kubelet_version,
        "machineID": machine.hex,
        "operatingSystem": "linux",
        "osImage": "Debian GNU/Linux 12 (bookworm)",
        "systemUUID": str(uuid.uuid5(machine, "system")),
    }


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
        address = None if node is None else _internal_ip(node)
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
            address = _internal_ip(node)
            if address is None:
                if taken is None:
                    taken = _taken_addresses(self.store.list("nodes", copy=False)[0])
                address = next(a for a in _node_addresses() if a not in taken)
                taken.add(address)
            with tolerate_races():
                self.store.mutate(
                    "nodes", None, name, _NodeStatus(address, ready, stamp), subresource="status"
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
        deadline = min(deadline, started + _shutdown_seconds(metadata))
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
                prefix = _pod_prefix(host_ip)
                pod_ip = next(f"{prefix}.{i}" for i in range(2, 255) if f"{prefix}.{i}" not in used_ips)
                used_ips.add(pod_ip)

        def advance(obj: Obj) -> None:
            wake[0] = _pod_status(
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


class _NodeStatus:
    """A store mutation publishing one node's status."""

    def __init__(self, address: str, ready: bool, stamp: str) -> None:
        self.address, self.ready, self.stamp = address, ready, stamp

    def __call__(self, node: Obj) -> None:
        _node_status(node, self.address, ready=self.ready, stamp=self.stamp)


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


def _node_addresses() -> Iterator[str]:
    """InternalIPs handed to nodes without one: 10.0.0.10-249, then 10.0.1.1-254, 10.0.2.1-254, ..."""
    for i in range(10, 250):
        yield f"10.0.0.{i}"
    for third in range(1, 256):
        for i in range(1, 255):
            yield f"10.0.{third}.{i}"


def _taken_addresses(nodes: list[Obj]) -> set[str]:
    return {
        str(a.get("address"))
        for n in nodes
        for a in (n.get("status") or {}).get("addresses") or []
        if a.get("type") == "InternalIP"
    }


def _pod_prefix(host_ip: str) -> str:
    """The /24 a node's pods get: 10.244.N for node 10.0.0.N (and any other address ending in N), 10.K.N for
    node 10.0.K.N with K > 0, so that clusters beyond 240 nodes still get distinct ranges."""
    parts = host_ip.split(".")
    if len(parts) == 4 and parts[:2] == ["10", "0"] and parts[2] not in ("", "0"):
        return f"10.{parts[2]}.{parts[3]}"
    return f"10.244.{parts[-1]}"


def _internal_ip(node: Obj) -> str | None:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return None


def _node_status(node: Obj, address: str, *, ready: bool, stamp: str) -> None:
    """Fill in the status a kubelet posts for its node."""
    name = name_of(node)
    status = node.setdefault("status", {})
    info = status.setdefault("nodeInfo", {})
    version = info.get("kubeletVersion") or DEFAULT_KUBELET_VERSION
    for key, value in node_info_defaults(name, version).items():
        info.setdefault(key, value)
    for key in ("capacity", "allocatable"):
        values = status.setdefault(key, {})
        for resource, amount in DEFAULT_CAPACITY.items():
            values.setdefault(resource, status.get("capacity", {}).get(resource, amount))
    if not status.get("addresses"):
        status["addresses"] = [
            {"type": "InternalIP", "address": address},
            {"type": "Hostname", "address": name},
        ]
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    status["phase"] = "Running"
    for kind, reason, message in (
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ):
        _node_condition(status, kind, "False", reason, message, stamp=stamp)
    if ready:
        _node_condition(
            status, "Ready", "True", "KubeletReady", "kubelet is posting ready status", stamp=stamp
        )
    else:
        _node_condition(status, "Ready", "False", "KubeletNotReady", "container runtime is down", stamp=stamp)


def _node_condition(status: Obj, kind: str, value: str, reason: str, message: str, *, stamp: str) -> None:
    """Set a node condition; heartbeat and transition times move only when the condition changes."""
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == kind
            and condition.get("status") == value
            and condition.get("reason") == reason
        ):
            return
    set_condition(
        status,
        {"type": kind, "status": value, "reason": reason, "message": message, "lastHeartbeatTime": stamp},
        now=stamp,
    )


def _pod_status(
    pod: Obj,
    *,
    host_ip: str,
    pod_ip: str,
    now: float,
    stamp: str,
    parse: Any,
    node_ready: bool,
    stuck: bool,
    broken: Any,
) -> float | None:
    """Compute the pod's status in place; returns the simulated time readiness is due, if pending."""
    status = pod.setdefault("status", {})
    previous = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
    statuses = []
    wake: float | None = None
    uid = str(meta(pod).get("uid"))
    for container in (pod.get("spec") or {}).get("containers") or []:
        name, image = container.get("name", ""), container.get("image", "")
        old = previous.get(name) or {}
        same = old.get("image") == image
        if broken(image):
            statuses.append(
                {
                    "name": name,
                    "image": image,
                    "imageID": "",
                    "ready": False,
                    "restartCount": int(old.get("restartCount", 0)) if same else 0,
                    "started": False,
                    "state": {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{image}"',
                        }
                    },
                }
            )
            continue
        running = (old.get("state") or {}).get("running") if same else None
        started_at = str(running["startedAt"]) if running else stamp
        ready_at = parse(started_at) + READY_DELAY
        ready = bool(running and old.get("ready")) or (node_ready and not stuck and now >= ready_at)
        if not node_ready:
            ready = False
        elif not ready and not stuck:
            wake = earliest(wake, ready_at)
        repository = image.rsplit(":", 1)[0] if "/" not in image.rsplit(":", 1)[-1] else image
        statuses.append(
            {
                "name": name,
                "image": image,
                "imageID": f"{repository}@sha256:{_digest(image)}",
                "containerID": f"containerd://{_digest(uid + name)}",
                "ready": ready,
                "restartCount": int(old.get("restartCount", 0)) if same else 0,
                "started": True,
                "state": {"running": {"startedAt": started_at}},
            }
        )
    all_running = all("running" in cs["state"] for cs in statuses)
    unready = [cs["name"] for cs in statuses if not cs["ready"]]
    status["phase"] = "Running" if all_running else "Pending"
    status["hostIP"] = host_ip
    status["hostIPs"] = [{"ip": host_ip}]
    status["podIP"] = pod_ip
    status["podIPs"] = [{"ip": pod_ip}]
    status.setdefault("startTime", stamp)
    status.setdefault("qosClass", "BestEffort")
    status["containerStatuses"] = statuses
    for kind in ("PodReadyToStartContainers", "Initialized", "PodScheduled"):
        set_condition(status, {"type": kind, "status": "True", "lastProbeTime": None}, now=stamp)
    for kind in ("ContainersReady", "Ready"):
        if unready:
            condition = {
                "type": kind,
                "status": "False",
                "reason": "ContainersNotReady",
                "message": f"containers with unready status: [{' '.join(unready)}]",
                "lastProbeTime": None,
            }
        else:
            condition = {"type": kind, "status": "True", "lastProbeTime": None}
        set_condition(status, condition, now=stamp)
    return wake


SHUTDOWN_SECONDS = 1.0
"""Simulated seconds a container takes to exit after SIGTERM, unless its pod says otherwise."""

SHUTDOWN_ANNOTATION = "kubesim.io/shutdown-seconds"


def _shutdown_seconds(metadata: Obj) -> float:
    raw = (metadata.get("annotations") or {}).get(SHUTDOWN_ANNOTATION)
    try:
        return max(0.0, float(raw)) if raw is not None else SHUTDOWN_SECONDS
    except ValueError:
        return SHUTDOWN_SECONDS
