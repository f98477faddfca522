"""Specification of the built-in default scenario and the scenario loader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.faults import Faults
from kubesim.podutil import controller_of, is_ready
from kubesim.scenario import load_scenario
from kubesim.store import Store


@pytest.fixture(name="store", scope="module")
def fixture_store() -> Iterator[Store]:
    """The default scenario after the controllers settled."""
    store = Store(clock=Clock(speed=200.0))
    load_scenario(store, "default")
    ControllerManager(store, faults=Faults()).settle(timeout=5.0)
    yield store


def pods_on(store: Store, node: str) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in store.pods_on_node(node)}


def test_nodes_carry_the_kubelet_versions_of_an_interesting_upgrade(store: Store) -> None:
    """cp-1 and node-1 run v1.31.4, node-2 one minor behind, node-3 three minors behind; all Ready."""
    nodes = {n["metadata"]["name"]: n for n in store.list("nodes")[0]}
    versions = {name: n["status"]["nodeInfo"]["kubeletVersion"] for name, n in nodes.items()}
    assert versions == {"cp-1": "v1.31.4", "node-1": "v1.31.4", "node-2": "v1.30.6", "node-3": "v1.28.9"}
    assert all(is_ready(n) for n in nodes.values())
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in nodes["cp-1"]["spec"][
        "taints"
    ]


def test_the_control_plane_node_runs_static_mirror_pods(store: Store) -> None:
    """kube-apiserver, controller-manager, scheduler and etcd are mirror pods on cp-1 with real images."""
    mirrors = {
        p["spec"]["containers"][0]["image"]
        for p in store.pods_on_node("cp-1")
        if "kubernetes.io/config.mirror" in p["metadata"].get("annotations", {})
    }
    assert mirrors == {
        "registry.k8s.io/kube-apiserver:v1.31.4",
        "registry.k8s.io/kube-controller-manager:v1.31.4",
        "registry.k8s.io/kube-scheduler:v1.31.4",
        "registry.k8s.io/etcd:3.5.15-0",
    }


def test_draining_node_2_meets_every_drain_filter(store: Store) -> None:
    """node-2 holds DaemonSet pods, a bare pod, an emptyDir pod and a PDB-guarded web pod, all Ready."""
    pods = pods_on(store, "node-2")
    kinds = {(controller_of(p) or {}).get("kind") for p in pods.values()}
    assert {"DaemonSet", "StatefulSet", "ReplicaSet", None} <= kinds
    assert controller_of(pods["debug-shell"]) is None
    assert any("emptyDir" in v for v in pods["cache-0"]["spec"]["volumes"])
    assert any(p["metadata"]["labels"].get("app") == "web" for p in pods.values())
    assert all(is_ready(p) for p in pods.values())


def test_daemonsets_run_one_pod_on_every_node(store: Store) -> None:
    """kube-proxy and log-agent report four of four pods scheduled and ready."""
    for name in ("kube-proxy", "log-agent"):
        status = store.get("daemonsets", "kube-system", name)["status"]
        assert status["desiredNumberScheduled"] == status["numberReady"] == 4
        assert status["numberMisscheduled"] == 0


def test_web_starts_with_three_revisions_of_history(store: Store) -> None:
    """web's ReplicaSets carry revisions 1-3 with the nginx images and change causes, 3 being live."""
    history = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: (
            rs["spec"]["template"]["spec"]["containers"][0]["image"],
            rs["spec"]["replicas"],
            rs["metadata"]["annotations"]["kubernetes.io/change-cause"],
        )
        for rs in store.list("replicasets", "default", label_selector="app=web")[0]
    }
    assert {k: v[:2] for k, v in history.items()} == {
        "1": ("nginx:1.25", 0),
        "2": ("nginx:1.26", 0),
        "3": ("nginx:1.27", 3),
    }
    assert history["3"][2] == "kubectl set image deployment/web nginx=nginx:1.27"


def test_the_web_budget_allows_exactly_one_disruption(store: Store) -> None:
    """web-pdb (minAvailable 2 of 3 Ready) allows one disruption with a True DisruptionAllowed condition."""
    status = store.get("poddisruptionbudgets", "default", "web-pdb")["status"]
    assert (status["currentHealthy"], status["desiredHealthy"], status["expectedPods"]) == (3, 2, 3)
    assert status["disruptionsAllowed"] == 1
    (condition,) = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "DisruptionAllowed",
        "True",
        "SufficientPods",
    )


def test_api_uses_the_recreate_strategy(store: Store) -> None:
    """The api Deployment rolls out with Recreate and is available."""
    api = store.get("deployments", "default", "api")
    assert api["spec"]["strategy"]["type"] == "Recreate"
    assert api["status"]["availableReplicas"] == 2


def test_namespaces_referenced_by_objects_are_created() -> None:
    """Loading an object into an unknown namespace creates that namespace first."""
    store = Store(clock=Clock())
    load_scenario(store, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team-a}\n")
    assert store.find("namespaces", None, "team-a") is not None
