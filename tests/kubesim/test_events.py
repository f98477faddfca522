"""Events (issue 14, item 2): what the controllers, the scheduler and the kubelets report, in v1 and
events.k8s.io/v1, with the reasons and wording of a real cluster (tests/fidelity compares them)."""

from __future__ import annotations

from typing import Any

from kubesim.clock import Clock
from kubesim.events import Recorder, to_events_v1
from kubesim.server import Simulator
from kubesim.store import Store
from tests.kubesim.conftest import Http


def reasons(sim: Simulator, kind: str) -> set[str]:
    events, _ = sim.store.list("events")
    return {e["reason"] for e in events if e["involvedObject"]["kind"] == kind}


def test_a_settled_cluster_has_told_its_story(sim: Simulator) -> None:
    """Rollouts scaled ReplicaSets, ReplicaSets created pods, the scheduler bound them."""
    assert "ScalingReplicaSet" in reasons(sim, "Deployment")
    assert "SuccessfulCreate" in reasons(sim, "ReplicaSet")
    assert "SuccessfulCreate" in reasons(sim, "StatefulSet")
    assert "Scheduled" in reasons(sim, "Pod")


def test_cordon_and_deletion_are_reported_by_the_kubelet(sim: Simulator) -> None:
    sim.store.mutate("nodes", None, "node-1", lambda n: n["spec"].__setitem__("unschedulable", True))
    pod = sim.store.pods_on_node("node-1")[0]
    sim.store.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
    sim.controllers.settle(timeout=10.0)
    events, _ = sim.store.list("events")
    said = {(e["reason"], e["message"]) for e in events}
    assert ("NodeNotSchedulable", "Node node-1 status is now: NodeNotSchedulable") in said
    container = pod["spec"]["containers"][0]["name"]
    assert ("Killing", f"Stopping container {container}") in said


def test_the_same_report_is_counted_and_many_similar_ones_combined() -> None:
    """Like client-go's EventCorrelator: a repeat bumps count; past ten reports of one reason, one event."""
    store = Store(clock=Clock())
    recorder = Recorder(store)
    namespace = store.get("namespaces", None, "default")
    for _ in range(3):
        recorder.record(namespace, reason="Poked", message="poked", component="test")
    for index in range(12):
        recorder.record(namespace, reason="Poked", message=f"poked {index}", component="test")
    events, _ = store.list("events", "default")
    by_message = {e["message"]: e["count"] for e in events}
    assert by_message["poked"] == 3
    assert by_message["(combined from similar events): poked 11"] == 5  # reports 11 to 15 of the reason


def test_events_k8s_io_serves_the_same_events_in_its_shape(sim: Simulator) -> None:
    http = Http(sim)
    listed = http("GET", "/apis/events.k8s.io/v1/namespaces/default/events").json()
    scaled = next(e for e in listed["items"] if e["reason"] == "ScalingReplicaSet")
    assert (scaled["reportingController"], scaled["regarding"]["kind"], scaled["deprecatedCount"]) == (
        "deployment-controller",
        "Deployment",
        1,
    )
    assert scaled["note"].startswith("Scaled up replica set ")
    assert "kind" not in scaled  # list items carry no kind, as kube-apiserver lists


def test_a_native_event_converts_with_its_null_deprecated_fields() -> None:
    core: dict[str, Any] = {
        "metadata": {"name": "p.1"},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "reason": "Scheduled",
        "message": "Successfully assigned default/p to node-1",
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": "Normal",
        "eventTime": "2026-12-06T21:56:37.682699Z",
        "action": "Binding",
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-kubesim",
    }
    assert list(to_events_v1(core)) == [
        "kind",
        "apiVersion",
        "metadata",
        "eventTime",
        "reportingController",
        "reportingInstance",
        "action",
        "reason",
        "regarding",
        "note",
        "type",
        "deprecatedSource",
        "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp",
    ]
