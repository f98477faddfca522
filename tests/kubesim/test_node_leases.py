"""Node heartbeats (issue 14, item 4): each node's Lease in kube-node-lease, renewed by its kubelet
every ten seconds, left to expire when the kubelet is dead, and gone with its node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.faults import Faults
from kubesim.store import Store

NODE = {"metadata": {"name": "node-1"}, "spec": {}}


@pytest.fixture(name="cluster")
def fixture_cluster() -> Iterator[tuple[Store, ControllerManager, Faults]]:
    store = Store(clock=Clock(speed=1.0))
    faults = Faults()
    controllers = ControllerManager(store, faults=faults)
    store.create("nodes", NODE)
    controllers.settle(timeout=2.0)
    yield store, controllers, faults
    controllers.close()


def renewed(store: Store) -> str:
    return str(store.get("leases", "kube-node-lease", "node-1")["spec"]["renewTime"])


def test_every_node_has_a_lease_owned_by_it(cluster: tuple[Store, ControllerManager, Faults]) -> None:
    store, _, _ = cluster
    lease = store.get("leases", "kube-node-lease", "node-1")
    node = store.get("nodes", None, "node-1")
    assert lease["spec"]["holderIdentity"] == "node-1"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert lease["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": node["metadata"]["uid"]}
    ]


def test_the_kubelet_renews_it_unless_it_is_dead(cluster: tuple[Store, ControllerManager, Faults]) -> None:
    store, controllers, faults = cluster
    first = renewed(store)
    store.clock.advance(11)
    controllers.reconcile_once()
    second = renewed(store)
    assert second > first
    faults.not_ready_nodes.add("node-1")
    store.clock.advance(11)
    controllers.reconcile_once()
    assert renewed(store) == second


def test_the_lease_goes_with_its_node(cluster: tuple[Store, ControllerManager, Faults]) -> None:
    store, _, _ = cluster
    store.delete("nodes", None, "node-1")
    assert store.find("leases", "kube-node-lease", "node-1") is None
