"""Specification of the DaemonSet, StatefulSet and disruption controllers."""

from __future__ import annotations

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.faults import Faults
from kubesim.podutil import is_ready
from kubesim.scenario import load_scenario
from kubesim.store import Store

NODES = "".join(
    f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}}}}}\n"
    for name in ("node-a", "node-b", "node-c")
)


def cluster(extra: str) -> tuple[Store, ControllerManager]:
    """Three nodes plus the given manifests, settled."""
    store = Store(clock=Clock(speed=200.0))
    load_scenario(store, NODES + "---\n" + extra)
    controllers = ControllerManager(store, faults=Faults())
    controllers.settle(timeout=5.0)
    return store, controllers


DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: main, image: "agent:1"}]}
"""


def test_a_daemonset_keeps_its_pod_on_a_cordoned_node() -> None:
    """DaemonSet pods tolerate the unschedulable taint, so cordoning does not remove them."""
    store, controllers = cluster(DAEMONSET)
    store.mutate("nodes", None, "node-b", lambda n: n["spec"].update(unschedulable=True))
    controllers.settle(timeout=5.0)
    pods = store.list("pods", "default")[0]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-a", "node-b", "node-c"]
    status = store.get("daemonsets", "default", "agent")["status"]
    assert (status["desiredNumberScheduled"], status["numberReady"], status["updatedNumberScheduled"]) == (
        3,
        3,
        3,
    )


def test_a_daemonset_template_change_replaces_every_pod() -> None:
    """After an image change every node ends up with one updated, Ready pod."""
    store, controllers = cluster(DAEMONSET)
    store.mutate(
        "daemonsets",
        "default",
        "agent",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="agent:2"),
    )
    store.clock.advance(31)
    for _ in range(6):
        controllers.settle(timeout=5.0)
        store.clock.advance(31)
    pods = [p for p in store.list("pods", "default")[0] if is_ready(p)]
    assert sorted((p["spec"]["nodeName"], p["spec"]["containers"][0]["image"]) for p in pods) == [
        ("node-a", "agent:2"),
        ("node-b", "agent:2"),
        ("node-c", "agent:2"),
    ]


def test_statefulset_pods_get_ordinal_names() -> None:
    """A StatefulSet of three creates db-0, db-1 and db-2, all Ready."""
    store, _ = cluster(
        """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: main, image: "postgres:16"}]}
"""
    )
    pods = store.list("pods", "default")[0]
    assert sorted(p["metadata"]["name"] for p in pods) == ["db-0", "db-1", "db-2"]
    assert all(is_ready(p) for p in pods)
    assert store.get("statefulsets", "default", "db")["status"]["readyReplicas"] == 3


def test_a_budget_over_bare_pods_with_max_unavailable_fails_to_sync() -> None:
    """maxUnavailable needs the pods' controllers; a bare pod makes the budget SyncFailed with 0 allowed."""
    store, _ = cluster(
        """
apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: default, labels: {app: lonely}}
spec: {containers: [{name: main, image: busybox}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: lonely, namespace: default}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: lonely}}}
"""
    )
    status = store.get("poddisruptionbudgets", "default", "lonely")["status"]
    assert status["disruptionsAllowed"] == 0
    assert status["conditions"][0]["reason"] == "SyncFailed"
    assert status["conditions"][0]["message"] == 'found no controller ref for pod "lonely"'
