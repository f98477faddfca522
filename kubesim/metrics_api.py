"""``metrics.k8s.io/v1beta1``, as metrics-server serves it through the aggregator: NodeMetrics and
PodMetrics (get and list, with label selectors), enough for ``kubectl top node`` and ``kubectl top pod``.

Usage is computed, never stored. A pod may give its containers' usage with the annotation
``kubesim.io/usage`` (YAML: ``{cpu: 250m, memory: 100Mi}`` for every container, or a mapping of container
name to that); otherwise each container uses a steady share of what it requests (a stable fraction per
container), or a few millicores and MiB when it requests nothing. Only running pods have metrics, as
with a kubelet; a node's usage is its running pods' plus the system's own.
"""

from __future__ import annotations

import time
from typing import Any

import yaml
from aiohttp import web

from kubesim import errors
from kubesim.errors import ApiError
from kubesim.hashing import fnv32a
from kubesim.quantities import int_value, milli_value
from kubesim.resources import METRICS, METRICS_TYPES
from kubesim.selectors import parse_label_selector
from kubesim.store import Obj, Store
from kubesim.wire import json_response, not_found_path

USAGE_ANNOTATION = "kubesim.io/usage"
SYSTEM_CPU_MILLI = 120
SYSTEM_MEMORY = 600 * 1024 * 1024
"""What a node's kubelet, runtime and system daemons use besides its pods."""
WINDOW = "20.05s"
NODES, PODS = METRICS_TYPES


def _share(key: str, low: int, high: int) -> float:
    """A stable fraction in [low%, high%) for one container."""
    return (low + fnv32a(key.encode()) % (high - low)) / 100


def _given(pod: Obj, container: str) -> dict[str, Any]:
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(USAGE_ANNOTATION)
    given: Any = yaml.safe_load(text) if text else None
    if isinstance(given, dict) and isinstance(given.get(container), dict):
        return dict(given[container])
    if isinstance(given, dict) and ("cpu" in given or "memory" in given):
        return given
    return {}


def container_usage(pod: Obj, container: Obj) -> tuple[int, int]:
    """(nanocores, bytes) one container uses."""
    name = str(container.get("name"))
    key = f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}/{name}"
    given = _given(pod, name)
    requests = (container.get("resources") or {}).get("requests") or {}
    if "cpu" in given:
        cpu = milli_value(given["cpu"]) * 1_000_000
    elif "cpu" in requests:
        cpu = int(milli_value(requests["cpu"]) * _share(key, 30, 80) * 1_000_000)
    else:
        cpu = int((1 + fnv32a(key.encode()) % 15) * 1_000_000)
    if "memory" in given:
        memory = int_value(given["memory"])
    elif "memory" in requests:
        memory = int(int_value(requests["memory"]) * _share(key + "/memory", 40, 90))
    else:
        memory = (8 + fnv32a(key.encode()) % 56) * 1024 * 1024
    return cpu, memory


def _usage(cpu: int, memory: int) -> dict[str, str]:
    return {"cpu": f"{cpu}n", "memory": f"{memory // 1024}Ki"}


def _running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod["metadata"].get(
        "deletionTimestamp"
    )


def _meta(obj: Obj, stamp: str) -> Obj:
    meta = obj["metadata"]
    shown: Obj = {"name": meta["name"]}
    if meta.get("namespace"):
        shown["namespace"] = meta["namespace"]
    shown["creationTimestamp"] = stamp
    if meta.get("labels"):
        shown["labels"] = dict(meta["labels"])
    return shown


def pod_metrics(pod: Obj, stamp: str) -> Obj:
    """One PodMetrics (without kind/apiVersion, as list items are)."""
    containers = [
        {"name": str(c.get("name")), "usage": _usage(*container_usage(pod, c))}
        for c in (pod.get("spec") or {}).get("containers") or []
    ]
    return {"metadata": _meta(pod, stamp), "timestamp": stamp, "window": WINDOW, "containers": containers}


def node_metrics(store: Store, node: Obj, stamp: str) -> Obj:
    """One NodeMetrics: the running pods bound to the node plus the system's share."""
    cpu, memory = SYSTEM_CPU_MILLI * 1_000_000, SYSTEM_MEMORY
    for pod in store.pods_on_node(node["metadata"]["name"], copy=False):
        if _running(pod):
            for container in (pod.get("spec") or {}).get("containers") or []:
                used = container_usage(pod, container)
                cpu, memory = cpu + used[0], memory + used[1]
    return {
        "metadata": _meta(node, stamp),
        "timestamp": stamp,
        "window": WINDOW,
        "usage": _usage(cpu, memory),
    }


def _stamp(store: Store) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(store.clock.now() - 5))


def serve(request: web.Request, store: Store, rest: list[str]) -> web.StreamResponse:
    """GET ``nodes[/<name>]``, ``pods`` or ``namespaces/<ns>/pods[/<name>]`` under metrics.k8s.io/v1beta1,
    lists narrowed by ``labelSelector`` and ``fieldSelector``."""
    if request.method != "GET":
        raise errors.method_not_allowed()
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] == PODS.plural:
        namespace, rest = rest[1], rest[2:]
    if not rest or rest[0] not in (NODES.plural, PODS.plural) or len(rest) > 2:
        raise not_found_path()
    rt = NODES if rest[0] == NODES.plural else PODS
    name = rest[1] if len(rest) == 2 else None
    stamp = _stamp(store)
    labels = parse_label_selector(request.query.get("labelSelector"))
    fields = request.query.get("fieldSelector")
    if rt is NODES:
        nodes = (
            [store.find("nodes", None, name)]
            if name
            else store.list("nodes", field_selector=fields, copy=False)[0]
        )
        chosen = [
            node for node in nodes if node is not None and (labels.empty or labels.matches_object(node))
        ]
        items = [node_metrics(store, node, stamp) for node in chosen]
    else:
        pods = (
            [store.find("pods", namespace, name)]
            if name
            else store.list("pods", namespace, field_selector=fields, copy=False)[0]
        )
        chosen = [
            p for p in pods if p is not None and _running(p) and (labels.empty or labels.matches_object(p))
        ]
        items = [pod_metrics(pod, stamp) for pod in chosen]
    if name and not items:
        shown = f"{namespace}/{name}" if namespace else name
        what = f"{rt.kind.lower()}.metrics.k8s.io"
        details = {"name": shown, "group": "metrics.k8s.io", "kind": rt.kind.lower()}
        raise ApiError(404, "NotFound", f'{what} "{shown}" not found', details=details)
    if name:
        return json_response({"kind": rt.kind, "apiVersion": METRICS, **items[0]})
    return json_response({"kind": rt.list_kind, "apiVersion": METRICS, "metadata": {}, "items": items})
