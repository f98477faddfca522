"""What a simulated kubelet posts: node status (conditions, nodeInfo, addresses, capacity) and pod status
(container states, IPs, Ready after `READY_DELAY`, `ImagePullBackOff` for broken images), the addresses it
hands out, and how long a container takes to exit after SIGTERM. Pure functions of the object and the time;
`kubesim.controllers.kubelet` decides when to call them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

from kubesim.controllers.base import earliest
from kubesim.podutil import meta, name_of, set_condition

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


class NodeStatus:
    """A store mutation publishing one node's status."""

    def __init__(self, address: str, ready: bool, stamp: str) -> None:
        self.address, self.ready, self.stamp = address, ready, stamp

    def __call__(self, node: Obj) -> None:
        node_status(node, self.address, ready=self.ready, stamp=self.stamp)


def node_addresses() -> Iterator[str]:
    """InternalIPs handed to nodes without one: 10.0.0.10-249, then 10.0.1.1-254, 10.0.2.1-254, ..."""
    for i in range(10, 250):
        yield f"10.0.0.{i}"
    for third in range(1, 256):
        for i in range(1, 255):
            yield f"10.0.{third}.{i}"


def taken_addresses(nodes: list[Obj]) -> set[str]:
    return {
        str(a.get("address"))
        for n in nodes
        for a in (n.get("status") or {}).get("addresses") or []
        if a.get("type") == "InternalIP"
    }


def pod_prefix(host_ip: str) -> str:
    """The /24 a node's pods get: 10.244.N for node 10.0.0.N (and any other address ending in N), 10.K.N for
    node 10.0.K.N with K > 0, so that clusters beyond 240 nodes still get distinct ranges."""
    parts = host_ip.split(".")
    if len(parts) == 4 and parts[:2] == ["10", "0"] and parts[2] not in ("", "0"):
        return f"10.{parts[2]}.{parts[3]}"
    return f"10.244.{parts[-1]}"


def internal_ip(node: Obj) -> str | None:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return None


def node_status(node: Obj, address: str, *, ready: bool, stamp: str) -> None:
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
        node_condition(status, kind, "False", reason, message, stamp=stamp)
    if ready:
        node_condition(
            status, "Ready", "True", "KubeletReady", "kubelet is posting ready status", stamp=stamp
        )
    else:
        node_condition(status, "Ready", "False", "KubeletNotReady", "container runtime is down", stamp=stamp)


def node_condition(status: Obj, kind: str, value: str, reason: str, message: str, *, stamp: str) -> None:
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


def pod_status(
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


def shutdown_seconds(metadata: Obj) -> float:
    raw = (metadata.get("annotations") or {}).get(SHUTDOWN_ANNOTATION)
    try:
        return max(0.0, float(raw)) if raw is not None else SHUTDOWN_SECONDS
    except ValueError:
        return SHUTDOWN_SECONDS
