"""Foreground and orphan cascading deletion, as the API server and garbage collector do them: the owner
is marked and held by a finalizer while the collector works, then goes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.garbage import FOREGROUND, ORPHAN
from kubesim.records import Event
from kubesim.server import Simulator
from kubesim.store import Store
from kubesim.testing import Kubectl
from tests.kubesim.test_store import deployment, pod


@pytest.fixture(name="store")
def fixture_store() -> Store:
    """An empty store on a real-time clock."""
    return Store(clock=Clock())


def owned(store: Store, owner: str, name: str, *, node: str | None = None) -> dict[str, Any]:
    """A pod owned (controller, blocking) by ReplicaSet `owner`."""
    rs = store.get("replicasets", "default", owner)
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": rs["metadata"]["uid"],
           "controller": True, "blockOwnerDeletion": True}  # fmt: skip
    manifest = pod(name, node=node)
    manifest["metadata"]["ownerReferences"] = [ref]
    created = store.create("pods", manifest, namespace="default")
    if node:
        created = store.mutate("pods", "default", name, lambda p: p["status"].update(phase="Running"))
    return created


def recorded(store: Store) -> list[Event]:
    events: list[Event] = []
    for resource in ("replicasets", "pods"):
        store.watch(resource, since=store.resource_version, fn=events.append)
    return events


def test_foreground_marks_the_owner_deletes_dependents_first_then_the_owner(store: Store) -> None:
    """The answer is the owner with a deletionTimestamp and the foregroundDeletion finalizer; the dependents
    go before it (a watch sees the owner marked, the pods deleted, then the owner deleted: the update that
    removes the last finalizer is the deletion, as on the server)."""
    store.create("replicasets", deployment("web"), namespace="default")
    owned(store, "web", "w1")
    owned(store, "web", "w2")
    events = recorded(store)

    answer = store.delete("replicasets", "default", "web", propagation_policy="Foreground")

    assert answer["metadata"]["finalizers"] == [FOREGROUND]
    assert answer["metadata"]["deletionTimestamp"] and answer["metadata"]["deletionGracePeriodSeconds"] == 0
    assert [(e.type, e.resource, e.obj["metadata"]["name"]) for e in events] == [
        ("MODIFIED", "replicasets", "web"),
        ("DELETED", "pods", "w1"),
        ("DELETED", "pods", "w2"),
        ("DELETED", "replicasets", "web"),
    ]
    assert store.find("replicasets", "default", "web") is None


def test_the_owner_waits_in_the_foreground_while_a_dependent_terminates(store: Store) -> None:
    """A running pod has a grace period: until its kubelet removes it, the owner stays, marked."""
    store.create("replicasets", deployment("web"), namespace="default")
    owned(store, "web", "w1", node="n1")

    store.delete("replicasets", "default", "web", propagation_policy="Foreground")

    held = store.get("replicasets", "default", "web")
    assert held["metadata"]["finalizers"] == [FOREGROUND]
    assert store.get("pods", "default", "w1")["metadata"]["deletionTimestamp"]
    store.remove("pods", "default", "w1")  # the kubelet, after the grace period
    assert store.find("replicasets", "default", "web") is None


def test_orphan_marks_the_owner_strips_the_references_then_removes_the_owner(store: Store) -> None:
    """Orphan: the owner is marked with the orphan finalizer, dependents keep running without the owner
    reference, and the owner goes."""
    store.create("replicasets", deployment("web"), namespace="default")
    owned(store, "web", "w1")
    events = recorded(store)

    answer = store.delete("replicasets", "default", "web", propagation_policy="Orphan")

    assert answer["metadata"]["finalizers"] == [ORPHAN]
    assert "ownerReferences" not in store.get("pods", "default", "w1")["metadata"]
    assert [(e.type, e.resource) for e in events] == [
        ("MODIFIED", "replicasets"),
        ("MODIFIED", "pods"),
        ("DELETED", "replicasets"),
    ]


def test_another_finalizer_keeps_the_owner_after_its_dependents_are_gone(store: Store) -> None:
    """Foreground removes only its own finalizer: a finalizer someone else set still holds the owner."""
    manifest = deployment("web")
    manifest["metadata"]["finalizers"] = ["example.com/keep"]
    store.create("replicasets", manifest, namespace="default")
    owned(store, "web", "w1")

    store.delete("replicasets", "default", "web", propagation_policy="Foreground")

    assert store.find("pods", "default", "w1") is None
    assert store.get("replicasets", "default", "web")["metadata"]["finalizers"] == ["example.com/keep"]


@pytest.mark.kubectl
def test_kubectl_delete_cascade_foreground_waits_for_the_pods(kubectl: Kubectl, sim: Simulator) -> None:
    """`kubectl delete deploy web --cascade=foreground` returns once the Deployment is gone; by then its
    ReplicaSets and pods are gone too."""
    assert sim.store.list("pods", "default", label_selector="app=web")[0]
    result = kubectl("delete", "deployment", "web", "--cascade=foreground", check=True)
    assert result.stdout.startswith('deployment.apps "web" deleted')
    assert sim.store.find("deployments", "default", "web") is None
    assert sim.store.list("replicasets", "default", label_selector="app=web")[0] == []
    assert sim.store.list("pods", "default", label_selector="app=web")[0] == []


@pytest.mark.kubectl
def test_kubectl_delete_cascade_orphan_leaves_the_replicasets(kubectl: Kubectl, sim: Simulator) -> None:
    """--cascade=orphan removes the Deployment and leaves its ReplicaSets and pods running, unowned."""
    kubectl("delete", "deployment", "api", "--cascade=orphan", check=True)
    deadline = time.monotonic() + 5
    while sim.store.find("deployments", "default", "api") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    left = sim.store.list("replicasets", "default", label_selector="app=api")[0]
    assert left and all("ownerReferences" not in rs["metadata"] for rs in left)
    assert sim.store.list("pods", "default", label_selector="app=api")[0]
