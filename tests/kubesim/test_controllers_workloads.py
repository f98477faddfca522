"""Specification of the simulated controllers: scheduling, kubelet, ReplicaSets and Deployments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.faults import Faults
from kubesim.podutil import controller_of, is_active, is_ready
from kubesim.scenario import load_scenario
from kubesim.store import Store

NODES = """
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
status: {nodeInfo: {kubeletVersion: v1.31.4}}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {kubernetes.io/hostname: node-b}}
status: {nodeInfo: {kubeletVersion: v1.30.6}}
"""


def deployment(
    name: str = "web", *, replicas: int = 4, image: str = "nginx:1.27", strategy: Any = None
) -> str:
    """A Deployment manifest as YAML."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  strategy: {strategy or {"type": "RollingUpdate"}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: main, image: "{image}"}}]}}
"""


class Cluster:
    """A store, faults and controllers driven synchronously by the test."""

    def __init__(self, *, speed: float = 200.0) -> None:
        self.store = Store(clock=Clock(speed=speed))
        self.faults = Faults()
        self.controllers = ControllerManager(self.store, faults=self.faults)

    def load(self, text: str) -> None:
        load_scenario(self.store, text.strip() + "\n")

    def settle(self) -> None:
        self.controllers.settle(timeout=5.0)

    def pods(self, namespace: str = "default") -> list[dict[str, Any]]:
        return self.store.list("pods", namespace)[0]

    def replicasets(self, name: str) -> list[dict[str, Any]]:
        return [
            rs
            for rs in self.store.list("replicasets", "default")[0]
            if (ref := controller_of(rs)) is not None and ref["name"] == name
        ]

    def set_image(self, name: str, image: str) -> None:
        def edit(obj: dict[str, Any]) -> None:
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = image

        self.store.mutate("deployments", "default", name, edit)


@pytest.fixture(name="cluster")
def fixture_cluster() -> Iterator[Cluster]:
    """Two ready worker nodes and settled controllers."""
    cluster = Cluster()
    cluster.load(NODES)
    cluster.settle()
    yield cluster


def test_a_deployment_rolls_out_ready_pods_spread_across_nodes(cluster: Cluster) -> None:
    """A new Deployment gets one ReplicaSet, revision 1, and Ready pods spread evenly over the nodes."""
    cluster.load(deployment(replicas=4))
    cluster.settle()
    pods = cluster.pods()
    assert len(pods) == 4 and all(is_ready(p) for p in pods)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-a", "node-a", "node-b", "node-b"]
    (rs,) = cluster.replicasets("web")
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["name"] == f"web-{rs['metadata']['labels']['pod-template-hash']}"
    status = cluster.store.get("deployments", "default", "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (4, 4, 4)
    reasons = {c["type"]: c["reason"] for c in status["conditions"]}
    assert reasons == {"Available": "MinimumReplicasAvailable", "Progressing": "NewReplicaSetAvailable"}


def test_a_rolling_update_never_exceeds_replicas_plus_max_surge_pods(cluster: Cluster) -> None:
    """With 4 replicas and 25%/25%, at most 5 live pods exist and at least 3 stay available at every step."""
    cluster.load(deployment(replicas=4))
    cluster.settle()
    cluster.set_image("web", "nginx:1.28")
    most = 0
    for _ in range(400):
        cluster.controllers.reconcile_once()
        live = [p for p in cluster.pods() if is_active(p)]
        most = max(most, len(live))
        assert len(live) <= 5
        status = cluster.store.get("deployments", "default", "web")["status"]
        assert status["availableReplicas"] >= 3 or status["observedGeneration"] < 2
        if (
            status.get("updatedReplicas") == 4
            and status.get("replicas") == 4
            and status["availableReplicas"] == 4
        ):
            break
        cluster.store.clock.sleep(0.5)
    assert most == 5
    images = {p["spec"]["containers"][0]["image"] for p in cluster.pods() if is_active(p)}
    assert images == {"nginx:1.28"}


def test_recreate_scales_the_old_replicaset_to_zero_before_the_new_one_starts(cluster: Cluster) -> None:
    """Under Recreate no new pod exists while any old pod is still running or terminating."""
    cluster.load(deployment("api", replicas=2, strategy={"type": "Recreate"}))
    cluster.settle()
    cluster.set_image("api", "api:2")
    for _ in range(400):
        cluster.controllers.reconcile_once()
        images = {p["spec"]["containers"][0]["image"] for p in cluster.pods()}
        assert images != {"nginx:1.27", "api:2"}
        if images == {"api:2"} and all(is_ready(p) for p in cluster.pods()):
            break
        cluster.store.clock.sleep(0.5)
    assert len(cluster.pods()) == 2


def test_rollback_adopts_the_old_replicaset_and_bumps_its_revision(cluster: Cluster) -> None:
    """Restoring revision 1's template reuses its ReplicaSet as revision 3 and records 1 in its history."""
    cluster.load(deployment(replicas=2))
    cluster.settle()
    cluster.set_image("web", "nginx:1.28")
    cluster.settle()
    cluster.set_image("web", "nginx:1.27")
    cluster.settle()
    replicasets = cluster.replicasets("web")
    assert len(replicasets) == 2
    by_image = {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs for rs in replicasets}
    old = by_image["nginx:1.27"]["metadata"]["annotations"]
    assert old["deployment.kubernetes.io/revision"] == "3"
    assert old["deployment.kubernetes.io/revision-history"] == "1"
    assert by_image["nginx:1.27"]["spec"]["replicas"] == 2 and by_image["nginx:1.28"]["spec"]["replicas"] == 0
    web = cluster.store.get("deployments", "default", "web")
    assert web["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_change_cause_is_copied_to_the_new_replicaset(cluster: Cluster) -> None:
    """Deployment annotations such as kubernetes.io/change-cause reach the new ReplicaSet."""
    cluster.load(deployment(replicas=1))
    cluster.settle()

    def annotate(obj: dict[str, Any]) -> None:
        obj["metadata"].setdefault("annotations", {})["kubernetes.io/change-cause"] = "bump"
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"

    cluster.store.mutate("deployments", "default", "web", annotate)
    cluster.settle()
    (new,) = [rs for rs in cluster.replicasets("web") if rs["spec"]["replicas"] == 1]
    assert new["metadata"]["annotations"]["kubernetes.io/change-cause"] == "bump"


def test_a_stuck_rollout_reports_progress_deadline_exceeded(cluster: Cluster) -> None:
    """New pods that never become Ready make Progressing False/ProgressDeadlineExceeded after the deadline."""
    cluster.load(deployment(replicas=2))
    cluster.settle()
    cluster.set_image("web", "nginx:broken")
    cluster.settle()
    cluster.store.clock.advance(601)
    cluster.settle()
    status = cluster.store.get("deployments", "default", "web")["status"]
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert status["availableReplicas"] >= 1


def test_a_paused_deployment_only_scales(cluster: Cluster) -> None:
    """While paused a template change creates no ReplicaSet, but a replica change still scales."""
    cluster.load(deployment(replicas=2))
    cluster.settle()

    def pause_and_change(obj: dict[str, Any]) -> None:
        obj["spec"]["paused"] = True
        obj["spec"]["replicas"] = 3
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"

    cluster.store.mutate("deployments", "default", "web", pause_and_change)
    cluster.settle()
    (rs,) = cluster.replicasets("web")
    assert rs["spec"]["replicas"] == 3
    status = cluster.store.get("deployments", "default", "web")["status"]
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")


def test_revision_history_limit_deletes_the_oldest_idle_replicasets(cluster: Cluster) -> None:
    """With revisionHistoryLimit 1 only the newest old ReplicaSet survives a series of rollouts."""
    cluster.load(deployment(replicas=1))
    cluster.store.mutate("deployments", "default", "web", lambda d: d["spec"].update(revisionHistoryLimit=1))
    for version in ("1.28", "1.29", "1.30"):
        cluster.settle()
        cluster.set_image("web", f"nginx:{version}")
    cluster.settle()
    revisions = sorted(
        int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        for rs in cluster.replicasets("web")
    )
    assert revisions == [3, 4]


def test_pods_on_a_cordoned_node_are_not_scheduled(cluster: Cluster) -> None:
    """Cordoning taints the node and new pods go elsewhere; DaemonSet-style tolerations are still honoured."""
    cluster.store.mutate("nodes", None, "node-a", lambda n: n["spec"].update(unschedulable=True))
    cluster.load(deployment(replicas=3))
    cluster.settle()
    node = cluster.store.get("nodes", None, "node-a")
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in node["spec"]["taints"]
    assert {p["spec"]["nodeName"] for p in cluster.pods()} == {"node-b"}
    cluster.store.mutate("nodes", None, "node-a", lambda n: n["spec"].pop("unschedulable"))
    cluster.settle()
    assert "taints" not in cluster.store.get("nodes", None, "node-a")["spec"]


def test_a_pod_that_fits_nowhere_stays_pending_with_a_reason(cluster: Cluster) -> None:
    """An unsatisfiable nodeSelector leaves the pod Pending with PodScheduled=False/Unschedulable."""
    cluster.load(
        """
apiVersion: v1
kind: Pod
metadata: {name: picky, namespace: default}
spec: {nodeSelector: {disk: ssd}, containers: [{name: main, image: busybox}]}
"""
    )
    cluster.settle()
    pod = cluster.store.get("pods", "default", "picky")
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (pod["status"]["phase"], condition["status"], condition["reason"]) == (
        "Pending",
        "False",
        "Unschedulable",
    )
    assert (
        condition["message"]
        == "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    )


def test_a_deleted_pod_is_replaced_and_removed_after_its_grace_period(cluster: Cluster) -> None:
    """The ReplicaSet replaces a terminating pod at once; the kubelet removes it when the grace period ends."""
    cluster.load(deployment(replicas=1))
    cluster.settle()
    (victim,) = cluster.pods()
    cluster.store.delete("pods", "default", victim["metadata"]["name"], grace_period_seconds=5)
    cluster.controllers.reconcile_once()
    names = {p["metadata"]["name"] for p in cluster.pods()}
    assert victim["metadata"]["name"] in names and len(names) == 2
    cluster.settle()
    assert victim["metadata"]["name"] not in {p["metadata"]["name"] for p in cluster.pods()}


def test_broken_images_never_become_ready(cluster: Cluster) -> None:
    """A pod whose image is in faults.broken_images waits in ImagePullBackOff and stays Pending."""
    cluster.faults.broken_images.add("nginx:9.9")
    cluster.load(deployment(replicas=1, image="nginx:9.9"))
    cluster.settle()
    (pod,) = cluster.pods()
    (container,) = pod["status"]["containerStatuses"]
    assert pod["status"]["phase"] == "Pending" and not is_ready(pod)
    assert container["state"]["waiting"]["reason"] == "ImagePullBackOff"


def test_not_ready_nodes_report_ready_false_and_get_no_pods(cluster: Cluster) -> None:
    """faults.not_ready_nodes makes the kubelet post Ready=False, and the scheduler skips the node."""
    cluster.faults.not_ready_nodes.add("node-b")
    cluster.load(deployment(replicas=2))
    cluster.settle()
    node = cluster.store.get("nodes", None, "node-b")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    assert {p["spec"]["nodeName"] for p in cluster.pods()} == {"node-a"}


def test_started_controllers_react_to_writes_on_their_own() -> None:
    """With the background thread running, a new Deployment becomes available without explicit passes."""
    cluster = Cluster()
    cluster.load(NODES)
    cluster.controllers.start()
    try:
        cluster.load(deployment(replicas=2))
        for _ in range(500):
            status = cluster.store.get("deployments", "default", "web").get("status") or {}
            if status.get("availableReplicas") == 2:
                break
            cluster.store.clock.sleep(0.1)
    finally:
        cluster.controllers.stop()
    assert status.get("availableReplicas") == 2
