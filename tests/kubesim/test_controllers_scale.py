"""Specification of how much the controllers look at: a pass reconciles what changed, not the whole cluster.

A counting store records every read the controllers make; after the cluster has settled, a pass with no
writes reads nothing, and a pass after one pod changed reads that pod and its owners, never the other pods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.faults import Faults
from kubesim.podutil import controller_of, is_ready
from kubesim.scenario import load_scenario
from kubesim.store import Store

Obj = dict[str, Any]
Objs = list[Obj]
Read = tuple[str, str, str | None, str]
"""(method, resource, namespace, name or "*" for a listing)."""
Reads = list[Read]

BARE_PODS = 20

SCENARIO = (
    "".join(
        f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}}}}}\n"
        for name in ("node-a", "node-b", "node-c")
    )
    + "".join(
        f"""---
apiVersion: v1
kind: Pod
metadata: {{name: bare-{n:02d}, namespace: default, labels: {{role: bare}}}}
spec: {{nodeName: node-{"abc"[n % 3]}, containers: [{{name: main, image: "busybox:1"}}]}}
"""
        for n in range(BARE_PODS)
    )
    + """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: main, image: "nginx:1.27"}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"""
)


class CountingStore(Store):
    """A store that records every read made through its public methods, when `counting` is on."""

    def __init__(self, *, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.counting = False
        self.reads: list[Read] = []

    def _record(self, method: str, resource: str, namespace: str | None, name: str) -> None:
        if self.counting:
            self.reads.append((method, resource, namespace or None, name))

    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        self._record("get", resource, namespace, name)
        return super().get(resource, namespace, name)

    def find(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        self._record("find", resource, namespace, name)
        return super().find(resource, namespace, name)

    def peek(self, resource: str, namespace: str | None, name: str) -> Obj:
        self._record("peek", resource, namespace, name)
        return super().peek(resource, namespace, name)

    def list(self, resource: str, namespace: str | None = None, **options: Any) -> tuple[list[Obj], str]:
        self._record("list", resource, namespace, "*")
        return super().list(resource, namespace, **options)

    def pods_on_node(self, node_name: str, *, copy: bool = True) -> Objs:
        self._record("pods_on_node", "pods", None, f"node={node_name}")
        return super().pods_on_node(node_name, copy=copy)

    def owned_by(self, owner_uid: str, resource: str | None = None, *, copy: bool = True) -> Objs:
        self._record("owned_by", resource or "*", None, f"owner={owner_uid}")
        return super().owned_by(owner_uid, resource, copy=copy)

    def mutate(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        fn: Callable[[Obj], None],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        self._record("mutate", resource, namespace, name)
        return super().mutate(resource, namespace, name, fn, subresource=subresource, dry_run=dry_run)

    def pods_read(self) -> set[str]:
        """Names of the pods read one by one (get, find, peek, mutate)."""
        return {
            name
            for method, resource, _, name in self.reads
            if resource == "pods" and method in ("get", "find", "peek", "mutate")
        }

    def nodes_listed(self) -> set[str]:
        """Nodes whose pods were read through the node index ("" = the unscheduled pods)."""
        return {name.removeprefix("node=") for method, _, _, name in self.reads if method == "pods_on_node"}

    def pod_listings(self) -> Reads:
        """Reads that list pods of a whole namespace or cluster."""
        return [read for read in self.reads if read[0] == "list" and read[1] == "pods"]


@pytest.fixture(name="settled")
def fixture_settled() -> tuple[CountingStore, ControllerManager]:
    """Three nodes, 20 bare pods, a 3-replica Deployment and its budget, settled; counting starts after."""
    store = CountingStore(clock=Clock(speed=200.0))
    load_scenario(store, SCENARIO)
    controllers = ControllerManager(store, faults=Faults())
    controllers.settle(timeout=5.0)
    store.counting = True
    return store, controllers


def web_pods(store: Store) -> list[Obj]:
    """The Deployment's pods."""
    return [p for p in store.list("pods", "default")[0] if p["metadata"]["labels"].get("app") == "web"]


def test_the_settled_cluster_is_running_and_ready(settled: tuple[CountingStore, ControllerManager]) -> None:
    """The fixture really settled: every pod is Ready and the budget allows one disruption."""
    store, _ = settled
    store.counting = False
    pods = store.list("pods", "default")[0]
    assert len(pods) == BARE_PODS + 3
    assert all(is_ready(p) for p in pods)
    assert store.get("poddisruptionbudgets", "default", "web")["status"]["disruptionsAllowed"] == 1


def test_an_idle_pass_reads_nothing(settled: tuple[CountingStore, ControllerManager]) -> None:
    """With no writes since the last pass, a pass reads no object at all."""
    store, controllers = settled
    before = store.resource_version
    controllers.reconcile_once()
    assert store.reads == []
    assert store.resource_version == before


def test_a_label_change_on_one_bare_pod_reads_only_that_pod(
    settled: tuple[CountingStore, ControllerManager],
) -> None:
    """Relabelling one bare pod makes the next pass look at that pod alone, and list no pods."""
    store, controllers = settled
    store.counting = False
    store.mutate("pods", "default", "bare-07", lambda pod: pod["metadata"]["labels"].update(tier="x"))
    store.counting = True
    controllers.reconcile_once()
    assert store.pods_read() == {"bare-07"}
    assert store.pod_listings() == []


def test_only_the_changed_pod_and_its_owners_are_queued(
    settled: tuple[CountingStore, ControllerManager],
) -> None:
    """A status change of one Deployment pod queues that pod for the kubelet and its ReplicaSet for the
    ReplicaSet controller; no other pod, node or ReplicaSet is queued."""
    store, controllers = settled
    store.counting = False
    pod = web_pods(store)[0]
    name = pod["metadata"]["name"]
    owner = controller_of(pod)
    assert owner is not None
    store.mutate("pods", "default", name, lambda p: p["status"].update(message="hello"), subresource="status")
    by_name = {c.name: c for c in controllers.controllers}
    kubelet, replicaset, lifecycle = by_name["kubelet"], by_name["replicaset"], by_name["nodelifecycle"]
    assert kubelet.pods.queued() == {("default", name)}  # type: ignore[attr-defined]
    assert kubelet.nodes.queued() == set()  # type: ignore[attr-defined]
    assert replicaset.queue.queued() == {("default", owner["name"])}  # type: ignore[attr-defined]
    assert lifecycle.queue.queued() == set()  # type: ignore[attr-defined]


def test_deleting_a_deployment_pod_replaces_it_reading_only_its_siblings(
    settled: tuple[CountingStore, ControllerManager],
) -> None:
    """After one Deployment pod is deleted, the passes that replace it read only the Deployment's pods
    (the deleted one, its siblings and the replacement) one by one, and through the node index only the
    pending pods and the replacement's node (for a free pod IP); they never list pods."""
    store, controllers = settled
    store.counting = False
    before = {p["metadata"]["name"] for p in web_pods(store)}
    victim = sorted(before)[0]
    store.delete("pods", "default", victim, grace_period_seconds=0)
    store.counting = True
    controllers.settle(timeout=5.0)
    store.counting = False
    web = {p["metadata"]["name"] for p in web_pods(store)}
    assert len(web) == 3 and victim not in web
    assert all(is_ready(p) for p in web_pods(store))
    replacement = next(p for p in web_pods(store) if p["metadata"]["name"] not in before)
    assert store.pods_read() <= web | {victim}
    assert store.nodes_listed() <= {"", replacement["spec"]["nodeName"]}
    assert store.pod_listings() == []


def test_a_node_turning_not_ready_reads_only_its_pods_and_their_siblings(
    settled: tuple[CountingStore, ControllerManager],
) -> None:
    """A not-ready fault on node-b (not a store write) makes the passes revisit node-b's pods and, because
    the budget counts them, the Deployment's pods, but no bare pod elsewhere; node-b's pods turn unready."""
    store, controllers = settled
    store.counting = False
    on_b = {p["metadata"]["name"] for p in store.pods_on_node("node-b")}
    web = {p["metadata"]["name"] for p in web_pods(store)}
    controllers.faults.not_ready_nodes.add("node-b")
    store.counting = True
    controllers.reconcile_once()
    store.counting = False
    assert store.pods_read() <= on_b | web
    assert store.pod_listings() == []
    ready = {p["metadata"]["name"]: is_ready(p) for p in store.list("pods", "default")[0]}
    assert {name for name, flag in ready.items() if not flag} == on_b


def test_a_bare_pod_relabelled_into_a_selector_is_adopted_without_reading_other_orphans(
    settled: tuple[CountingStore, ControllerManager],
) -> None:
    """Giving bare-03 the Deployment's labels lets its ReplicaSet adopt it in the next pass; no other bare
    pod is read on the way, and no pods are listed."""
    store, controllers = settled
    store.counting = False
    web = {p["metadata"]["name"] for p in web_pods(store)}
    owner = controller_of(web_pods(store)[0])
    assert owner is not None
    template_hash = web_pods(store)[0]["metadata"]["labels"]["pod-template-hash"]
    store.mutate(
        "pods",
        "default",
        "bare-03",
        lambda pod: pod["metadata"]["labels"].update({"app": "web", "pod-template-hash": template_hash}),
    )
    store.counting = True
    controllers.reconcile_once()
    store.counting = False
    adopted = controller_of(store.get("pods", "default", "bare-03"))
    assert adopted is not None and adopted["uid"] == owner["uid"]
    assert store.pods_read() <= web | {"bare-03"}
    assert store.pod_listings() == []
