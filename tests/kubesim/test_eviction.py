"""Specification of the pods/eviction handler against PodDisruptionBudgets (kubernetes.md §4.3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.errors import ApiError
from kubesim.eviction import evict
from kubesim.faults import Faults
from kubesim.podutil import controller_of, get_condition, is_terminating
from kubesim.scenario import load_scenario
from kubesim.store import Store


class Cluster:
    """The default scenario with synchronously driven controllers."""

    def __init__(self) -> None:
        self.store = Store(clock=Clock(speed=200.0))
        self.controllers = ControllerManager(self.store, faults=Faults())
        load_scenario(self.store, "default")
        self.controllers.settle(timeout=5.0)

    def web_pods(self) -> list[dict[str, Any]]:
        return self.store.list("pods", "default", label_selector="app=web")[0]

    def pdb_status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.store.get("poddisruptionbudgets", "default", "web-pdb")["status"]
        return status


@pytest.fixture(name="cluster")
def fixture_cluster() -> Iterator[Cluster]:
    """The default scenario, settled."""
    yield Cluster()


def body(name: str, **delete_options: Any) -> dict[str, Any]:
    """A policy/v1 Eviction body."""
    return {"metadata": {"name": name, "namespace": "default"}, "deleteOptions": delete_options}


def test_an_allowed_eviction_returns_201_and_spends_the_disruption(cluster: Cluster) -> None:
    """The first web eviction succeeds, marks the pod DisruptionTarget and records it in disruptedPods."""
    name = cluster.web_pods()[0]["metadata"]["name"]
    assert evict(cluster.store, "default", name, body(name)) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    pod = cluster.store.get("pods", "default", name)
    assert is_terminating(pod)
    assert get_condition(pod, "DisruptionTarget") is not None
    status = cluster.pdb_status()
    assert status["disruptionsAllowed"] == 0 and name in status["disruptedPods"]


def test_the_second_eviction_is_refused_with_429_and_the_budget_cause(cluster: Cluster) -> None:
    """With minAvailable 2 of 3, a second immediate eviction violates the budget."""
    first, second = (p["metadata"]["name"] for p in cluster.web_pods()[:2])
    evict(cluster.store, "default", first, body(first))
    with pytest.raises(ApiError) as refused:
        evict(cluster.store, "default", second, body(second))
    status = refused.value.to_status()
    assert status["code"] == 429 and status["reason"] == "TooManyRequests"
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert status["details"]["causes"] == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget web-pdb needs 2 healthy pods and has 3 currently",
        }
    ]
    assert not is_terminating(cluster.store.get("pods", "default", second))


def test_a_pod_matched_by_two_budgets_gets_a_500(cluster: Cluster) -> None:
    """More than one matching PodDisruptionBudget is an internal error, not a retryable refusal."""
    load_scenario(
        cluster.store,
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: extra, namespace: default}\n"
        "spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n",
    )
    name = cluster.web_pods()[0]["metadata"]["name"]
    with pytest.raises(ApiError) as failed:
        evict(cluster.store, "default", name, body(name))
    assert failed.value.code == 500
    assert failed.value.message == (
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
    )


def test_a_mismatched_name_is_a_400_and_a_missing_pod_a_404(cluster: Cluster) -> None:
    """The URL name must equal the body name; unknown pods are NotFound."""
    with pytest.raises(ApiError) as mismatch:
        evict(cluster.store, "default", "debug-shell", body("other"))
    assert mismatch.value.code == 400
    with pytest.raises(ApiError) as missing:
        evict(cluster.store, "default", "ghost", body("ghost"))
    assert missing.value.code == 404


def test_dry_run_checks_the_budget_but_writes_nothing(cluster: Cluster) -> None:
    """A dry-run eviction succeeds without deleting the pod or spending the disruption."""
    name = cluster.web_pods()[0]["metadata"]["name"]
    before = cluster.store.resource_version
    evict(cluster.store, "default", name, body(name, dryRun=["All"]))
    assert cluster.store.resource_version == before
    assert cluster.pdb_status()["disruptionsAllowed"] == 1


def test_the_grace_period_of_the_delete_options_is_honoured(cluster: Cluster) -> None:
    """deleteOptions.gracePeriodSeconds sets the pod's deletion grace period."""
    evict(cluster.store, "default", "debug-shell", body("debug-shell", gracePeriodSeconds=7))
    assert cluster.store.get("pods", "default", "debug-shell")["metadata"]["deletionGracePeriodSeconds"] == 7


def test_an_evicted_replicaset_pod_is_replaced_on_another_node(cluster: Cluster) -> None:
    """After cordoning node-2, its evicted web pod comes back on another node and the budget recovers."""
    cluster.store.mutate("nodes", None, "node-2", lambda n: n["spec"].update(unschedulable=True))
    (victim,) = [p for p in cluster.web_pods() if p["spec"]["nodeName"] == "node-2"]
    evict(cluster.store, "default", victim["metadata"]["name"], body(victim["metadata"]["name"]))
    cluster.store.clock.advance(31)
    cluster.controllers.settle(timeout=5.0)
    pods = cluster.web_pods()
    assert len(pods) == 3 and victim["metadata"]["name"] not in {p["metadata"]["name"] for p in pods}
    assert "node-2" not in {p["spec"]["nodeName"] for p in pods}
    assert all(controller_of(p) is not None for p in pods)
    assert cluster.pdb_status()["disruptionsAllowed"] == 1
