"""Crash safety of upgrade nodes: a run that stops mid-way leaves checkpoints, and a re-run resumes from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubesim.faults import RequestFault
from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.upgrades.cluster import NodeState, node_state, pods_on, runner_for, workload_pods

FLAGS = {"force": True, "delete_emptydir_data": True}


def test_a_failure_mid_way_is_resumed_at_the_failed_step_without_repeating_finished_nodes(
    sim: Simulator, tmp_path: Path
) -> None:
    """The kubelet upgrade of node-3 fails once; the re-run skips node-2 and picks node-3 up at its upgrade."""
    sim.faults.add_request_fault(
        RequestFault(action=500, method="PATCH", path="/nodes/node-3/status$", times=1)
    )
    runner = runner_for(sim, tmp_path)
    first = runner.run("upgrade_nodes", version="v1.31.4", **FLAGS)

    assert first.status == "failed"
    assert "`node-2` upgraded to `v1.31.4`" in first.final.text
    assert "`node-3` stopped at step upgrade (re-run to resume)" in first.final.text
    stopped = node_state(sim, "node-3")
    assert (stopped.kubelet, stopped.cordoned, stopped.in_maintenance) == ("v1.28.9", True, True)
    assert stopped.checkpoint is not None and stopped.checkpoint["step"] == "upgrade"
    assert stopped.checkpoint["target"] == "v1.31.4" and not stopped.checkpoint["was_cordoned"]
    on_node2 = {key: value for key, value in workload_pods(sim).items() if key in pods_on(sim, "node-2")}

    second = runner.run("upgrade_nodes", version="v1.31.4", **FLAGS)

    assert second.status == "finished", second.texts()
    texts = second.texts()
    assert "`node-3`: resuming at step upgrade (a previous run stopped there)." in texts
    assert not any("draining" in text for text in texts), "no node is drained again"
    assert "`node-2` already at `v1.31.4`: skipped" in second.texts(EventKind.PLAN)[0]
    assert {key: workload_pods(sim)[key] for key in on_node2} == on_node2, "node-2's pods were left alone"
    for name in ("node-2", "node-3"):
        state = node_state(sim, name)
        assert (state.kubelet, state.cordoned, state.checkpoint, state.in_maintenance) == (
            "v1.31.4",
            False,
            None,
            False,
        )
    assert second.result["upgraded"][0]["moved"] == first_moved(first.events)


def first_moved(events: list[Any]) -> list[str]:
    """The pods the first run reported as moved off node-3 (kept in the checkpoint for the re-run's report)."""
    for event in events:
        if event.text.startswith("node/node-3 drained. Moved: "):
            said = " ".join(event.text.split())  # lines wrapped to fit chat, joined again
            listed = said.removeprefix("node/node-3 drained. Moved: ").split(". ", 1)[0]
            return sorted(listed.split(", "))
    return []


def test_a_cancel_between_nodes_stops_cleanly_and_a_re_run_finishes_the_rest(
    sim: Simulator, tmp_path: Path
) -> None:
    """Cancelled once node-2 is back, the job stops before node-3; the re-run upgrades node-3 only."""
    runner = runner_for(sim, tmp_path)
    job_id = runner.enqueue("upgrade_nodes", version="v1.31.4", **FLAGS)

    def cancel_once_node2_is_back(kind: str, resource: str, obj: dict[str, Any]) -> None:
        if resource == "nodes" and obj["metadata"]["name"] == "node-2":
            upgraded = obj["status"]["nodeInfo"]["kubeletVersion"] == "v1.31.4"
            if upgraded and not obj["spec"].get("unschedulable"):
                runner.cancel(job_id)

    unsubscribe = sim.store.subscribe(cancel_once_node2_is_back)
    try:
        runner.work()
    finally:
        unsubscribe()
    first = runner.outcome(job_id)

    assert first.final.kind == EventKind.CANCELLED
    assert "Not done: `node-3`" in first.final.text
    assert node_state(sim, "node-2").kubelet == "v1.31.4"
    assert node_state(sim, "node-3") == NodeState("v1.28.9", False, None, False)

    second = runner.run("upgrade_nodes", version="v1.31.4", **FLAGS)

    assert second.status == "finished", second.texts()
    assert [entry["node"] for entry in second.result["upgraded"]] == ["node-3"]
    assert node_state(sim, "node-3").kubelet == "v1.31.4" and not node_state(sim, "node-3").cordoned
