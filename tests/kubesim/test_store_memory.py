"""Specification of how compactly the store keeps objects: a pod costs a few hundred bytes however large
the cluster, and what is read back is exactly what was written, whether or not it is still decoded."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from kubesim.clock import Clock
from kubesim.entries import WORKING_SET
from kubesim.store import Store

PODS_PER_STEP = 2000


def bench_pod(n: int) -> dict[str, Any]:
    """A bare pod like the scale benchmark's: bound to one of a hundred nodes, labelled with it."""
    node = f"node-{n % 100:05d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"app-{n:06d}", "namespace": "default", "labels": {"node": node}},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx:1.27"}]},
    }


def traced_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_each_more_pod_costs_a_few_hundred_bytes() -> None:
    """Beyond the working set, a pod and its index entries cost under 600 bytes (its dicts alone are
    about 2 KiB), so 150,000 pods fit in about 100 MiB."""
    store = Store(clock=Clock())
    tracemalloc.start()
    try:
        for n in range(WORKING_SET + PODS_PER_STEP):
            store.create("pods", bench_pod(n), copy=False)
        before = traced_bytes()
        for n in range(WORKING_SET + PODS_PER_STEP, WORKING_SET + 2 * PODS_PER_STEP):
            store.create("pods", bench_pod(n), copy=False)
        per_pod = (traced_bytes() - before) / PODS_PER_STEP
    finally:
        tracemalloc.stop()
    assert per_pod < 600, f"{per_pod:.0f} bytes per pod"


def test_objects_read_back_as_written_after_leaving_the_working_set() -> None:
    """Values, key order and JSON types survive the compact form; reads are copies, and a list by node or
    label sees the compacted objects."""
    store = Store(clock=Clock())
    odd: dict[str, Any] = {
        "metadata": {"name": "odd", "labels": {"node": "node-00007", "tier": "front"}},
        "data": {"z": "last", "a": "first", "unicode": "snow ☃", "empty": ""},
    }
    written = store.create("configmaps", odd, namespace="default")
    first = store.create("pods", bench_pod(7), copy=False)
    for n in range(100, 100 + 2 * WORKING_SET):
        store.create("pods", bench_pod(n), copy=False)
    assert store.get("configmaps", "default", "odd") == written
    assert list(store.get("configmaps", "default", "odd")["data"]) == ["z", "a", "unicode", "empty"]
    copy = store.get("pods", "default", "app-000007")
    assert copy == first
    copy["spec"]["nodeName"] = "elsewhere"
    assert store.peek("pods", "default", "app-000007") == first
    by_node = store.list("pods", field_selector="spec.nodeName=node-00007")[0]
    by_label = store.list("pods", label_selector="node=node-00007")[0]
    assert by_node == by_label and by_node[0] == first
    assert len(by_node) == 1 + sum(1 for n in range(100, 100 + 2 * WORKING_SET) if n % 100 == 7)
