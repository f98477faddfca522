"""Server-side printing: `meta.k8s.io/v1` Table responses, which give `kubectl get` its familiar columns.

Each resource has a row function mirroring kube-apiserver's printers; priority-1 columns are what
`-o wide` adds. Ages are measured on the simulated clock, formatted like apimachinery's HumanDuration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubesim.selectors import label_selector_to_string

Obj = dict[str, Any]
Column = tuple[str, str, int]  # (name, type, priority)
Row = list[Any]


def human_duration(seconds: float) -> str:
    """apimachinery `duration.HumanDuration`: 45s, 3m20s, 15m, 5h2m, 3d4h, 400d, 2y30d."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    secs = int(seconds)
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        return f"{minutes}m{secs % 60}s" if secs % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


class _Printer:
    """Helpers shared by the row functions: the current time and timestamp parsing."""

    def __init__(self, *, now: float, parse: Callable[[str], float]) -> None:
        self.now = now
        self.parse = parse

    def age(self, obj: Obj) -> str:
        stamp = obj.get("metadata", {}).get("creationTimestamp")
        return human_duration(self.now - self.parse(stamp)) if stamp else "<unknown>"


def _none(value: Any) -> Any:
    return "<none>" if value in (None, "", []) else value


def _containers(obj: Obj) -> tuple[str, str]:
    containers = obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _selector(obj: Obj) -> str:
    rendered = label_selector_to_string(obj.get("spec", {}).get("selector") or {})
    return rendered or "<none>"


def _node_row(p: _Printer, node: Obj) -> Row:
    status = node.get("status", {})
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = {"True": "Ready", "False": "NotReady"}.get((ready or {}).get("status", ""), "Unknown")
    if node.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = node.get("metadata", {}).get("labels") or {}
    roles = sorted(
        k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k
    )
    if labels.get("kubernetes.io/role"):
        roles.append(labels["kubernetes.io/role"])
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [
        node["metadata"]["name"],
        state,
        _none(",".join(r for r in roles if r)),
        p.age(node),
        info.get("kubeletVersion", ""),
        _none(addresses.get("InternalIP")),
        _none(addresses.get("ExternalIP")),
        _none(info.get("osImage")),
        _none(info.get("kernelVersion")),
        _none(info.get("containerRuntimeVersion")),
    ]


def _pod_status(pod: Obj) -> str:
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_row(p: _Printer, pod: Obj) -> Row:
    status = pod.get("status", {})
    statuses = status.get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    gates = pod.get("spec", {}).get("readinessGates") or []
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        _pod_status(pod),
        str(restarts),
        p.age(pod),
        _none(status.get("podIP")),
        _none(pod.get("spec", {}).get("nodeName")),
        _none(status.get("nominatedNodeName")),
        _none(",".join(g.get("conditionType", "") for g in gates)),
    ]


def _deployment_row(p: _Printer, obj: Obj) -> Row:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    containers, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        p.age(obj),
        containers,
        images,
        _selector(obj),
    ]


def _replicaset_row(p: _Printer, obj: Obj) -> Row:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    containers, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 0),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        p.age(obj),
        containers,
        images,
        _selector(obj),
    ]


def _daemonset_row(p: _Printer, obj: Obj) -> Row:
    status = obj.get("status", {})
    node_selector = obj.get("spec", {}).get("template", {}).get("spec", {}).get("nodeSelector") or {}
    containers, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        _none(",".join(f"{k}={v}" for k, v in sorted(node_selector.items()))),
        p.age(obj),
        containers,
        images,
        _selector(obj),
    ]


def _statefulset_row(p: _Printer, obj: Obj) -> Row:
    containers, images = _containers(obj)
    ready = obj.get("status", {}).get("readyReplicas", 0)
    return [
        obj["metadata"]["name"],
        f"{ready}/{obj.get('spec', {}).get('replicas', 0)}",
        p.age(obj),
        containers,
        images,
    ]


def _pdb_row(p: _Printer, obj: Obj) -> Row:
    spec = obj.get("spec", {})
    allowed = obj.get("status", {}).get("disruptionsAllowed", 0)
    return [
        obj["metadata"]["name"],
        str(spec.get("minAvailable", "N/A")),
        str(spec.get("maxUnavailable", "N/A")),
        allowed,
        p.age(obj),
    ]


def _namespace_row(p: _Printer, obj: Obj) -> Row:
    return [obj["metadata"]["name"], obj.get("status", {}).get("phase", "Active"), p.age(obj)]


def _configmap_row(p: _Printer, obj: Obj) -> Row:
    data = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [obj["metadata"]["name"], data, p.age(obj)]


def _generic_row(p: _Printer, obj: Obj) -> Row:
    return [obj["metadata"]["name"], p.age(obj)]


_S, _I = "string", "integer"
_NAME: Column = ("Name", _S, 0)
_AGE: Column = ("Age", _S, 0)
_WORKLOAD_WIDE: list[Column] = [("Containers", _S, 1), ("Images", _S, 1), ("Selector", _S, 1)]

PRINTERS: dict[str, tuple[list[Column], Callable[[_Printer, Obj], Row]]] = {
    "nodes": (
        [
            _NAME,
            ("Status", _S, 0),
            ("Roles", _S, 0),
            _AGE,
            ("Version", _S, 0),
            ("Internal-IP", _S, 1),
            ("External-IP", _S, 1),
            ("OS-Image", _S, 1),
            ("Kernel-Version", _S, 1),
            ("Container-Runtime", _S, 1),
        ],
        _node_row,
    ),
    "pods": (
        [
            _NAME,
            ("Ready", _S, 0),
            ("Status", _S, 0),
            ("Restarts", _S, 0),
            _AGE,
            ("IP", _S, 1),
            ("Node", _S, 1),
            ("Nominated Node", _S, 1),
            ("Readiness Gates", _S, 1),
        ],
        _pod_row,
    ),
    "deployments": (
        [_NAME, ("Ready", _S, 0), ("Up-to-date", _I, 0), ("Available", _I, 0), _AGE, *_WORKLOAD_WIDE],
        _deployment_row,
    ),
    "replicasets": (
        [_NAME, ("Desired", _I, 0), ("Current", _I, 0), ("Ready", _I, 0), _AGE, *_WORKLOAD_WIDE],
        _replicaset_row,
    ),
    "daemonsets": (
        [
            _NAME,
            ("Desired", _I, 0),
            ("Current", _I, 0),
            ("Ready", _I, 0),
            ("Up-to-date", _I, 0),
            ("Available", _I, 0),
            ("Node Selector", _S, 0),
            _AGE,
            *_WORKLOAD_WIDE,
        ],
        _daemonset_row,
    ),
    "statefulsets": (
        [_NAME, ("Ready", _S, 0), _AGE, ("Containers", _S, 1), ("Images", _S, 1)],
        _statefulset_row,
    ),
    "poddisruptionbudgets": (
        [_NAME, ("Min Available", _S, 0), ("Max Unavailable", _S, 0), ("Allowed Disruptions", _I, 0), _AGE],
        _pdb_row,
    ),
    "namespaces": ([_NAME, ("Status", _S, 0), _AGE], _namespace_row),
    "configmaps": ([_NAME, ("Data", _I, 0), _AGE], _configmap_row),
}


def _column_definitions(columns: list[Column]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": f"{name} of the object",
            "priority": priority,
        }
        for name, kind, priority in columns
    ]


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    resource: str,
    objects: list[Obj],
    *,
    now: float,
    parse: Callable[[str], float],
    resource_version: str | None = None,
    continue_token: str | None = None,
    include_object: str = "Metadata",
    with_columns: bool = True,
) -> Obj:
    """A Table of `objects` (kubectl adds NAMESPACE itself from each row's object metadata)."""
    columns, row_fn = PRINTERS.get(resource, ([_NAME, _AGE], _generic_row))
    printer = _Printer(now=now, parse=parse)
    rows = []
    for obj in objects:
        row: Obj = {"cells": row_fn(printer, obj)}
        partial = _row_object(obj, include_object)
        if partial is not None:
            row["object"] = partial
        rows.append(row)
    metadata: Obj = {}
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": _column_definitions(columns) if with_columns else [],
        "rows": rows,
    }
