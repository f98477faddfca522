"""Node leases: each kubelet's heartbeat, a Lease named after its node in ``kube-node-lease`` renewed
every ten seconds (leaseDurationSeconds 40), owned by the Node so that it goes with it.

A node of `faults.not_ready_nodes` has a dead kubelet: its lease is not renewed and so expires, as the
node lifecycle controller of a real cluster would see it. An idle cluster must stay idle at scale (the
benchmarks of 5,000 nodes wait for a store at rest), so above `RENEWED_UP_TO` nodes the leases are
written once and not renewed: a difference from a real cluster, kept for the cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import WorkQueue
from kubesim.podutil import name_of

if TYPE_CHECKING:
    from kubesim.faults import Faults
    from kubesim.store import Store

Obj = dict[str, Any]
NAMESPACE = "kube-node-lease"
DURATION_SECONDS = 40
RENEW_SECONDS = 10.0
RENEWED_UP_TO = 1000


class NodeLeaseController:
    """Creates and renews every node's Lease."""

    name = "nodelease"

    def __init__(self, store: Store, *, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.nodes: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """New nodes get a lease at once; a lease deleted by someone is made again."""
        if (resource == "nodes" and event == "ADDED") or (
            resource == "leases" and event == "DELETED" and obj["metadata"].get("namespace") == NAMESPACE
        ):
            self.nodes.add(name_of(obj))

    def period(self) -> float | None:
        """Seconds between two renewals of one lease (None: not renewed, in a cluster too big)."""
        return RENEW_SECONDS if self.store.count("nodes") <= RENEWED_UP_TO else None

    def sync(self, now: float) -> float | None:
        """Renew the leases that are due; returns when the next one is."""
        batch = self.nodes.take(now)
        if batch.everything:
            names = [name_of(node) for node in self.store.list("nodes", copy=False)[0]]
        else:
            names = sorted(batch.keys)
        period = self.period()
        for name in names:
            node = peek_or_none(self.store, "nodes", None, name)
            if node is None:
                continue
            if name not in self.faults.not_ready_nodes:  # a dead kubelet renews nothing
                with tolerate_races():
                    self._renew(node, now)
            self.nodes.wake_at(name, None if period is None else now + period)
        return self.nodes.next_wake()

    def _renew(self, node: Obj, now: float) -> None:
        name = name_of(node)
        stamp = self.store.clock.micro_timestamp(now)
        if peek_or_none(self.store, "leases", NAMESPACE, name) is None:
            owner = {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}
            lease = {
                "metadata": {"name": name, "ownerReferences": [owner]},
                "spec": {
                    "holderIdentity": name,
                    "leaseDurationSeconds": DURATION_SECONDS,
                    "renewTime": stamp,
                },
            }
            self.store.create("leases", lease, namespace=NAMESPACE)
            return

        def renew(obj: Obj) -> None:
            obj.setdefault("spec", {})["renewTime"] = stamp

        self.store.mutate("leases", NAMESPACE, name, renew)
