"""Maintenance as one operation recorded on the node, the cluster-wide limit, and unmaintain's report."""

from __future__ import annotations

import json
from typing import Any

from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.messages import operations as wording
from tests.workers.harness import JobRunner, non_daemon_pods
from workers.maintenance import ANNOTATION


def record(sim: Simulator, node: str) -> dict[str, Any] | None:
    """The maintenance record on a node, parsed."""
    raw = (sim.store.get("nodes", None, node)["metadata"].get("annotations") or {}).get(ANNOTATION)
    return None if raw is None else dict(json.loads(raw))


def test_maintain_cordons_drains_and_records_what_moved(sim: Simulator, runner: JobRunner) -> None:
    """The node ends cordoned and empty; the annotation names the job, the user and the pods moved."""
    moving = non_daemon_pods(sim, "node-1")
    outcome = runner.run("maintain", node="node-1")
    assert outcome.status == "finished", outcome.texts()
    assert sim.store.get("nodes", None, "node-1")["spec"]["unschedulable"] is True
    assert non_daemon_pods(sim, "node-1") == []
    saved = record(sim, "node-1")
    assert saved is not None
    assert (saved["state"], saved["job"], saved["user"]) == ("drained", outcome.job_id, "U123")
    assert saved["moved"] == sorted(moving)


def test_only_one_node_may_be_in_maintenance_at_a_time(sim: Simulator, runner: JobRunner) -> None:
    """A second node is refused while the first is in maintenance, and accepted once it ends."""
    assert runner.run("maintain", node="node-1").status == "finished"
    refused = runner.run("maintain", node="node-3")
    assert refused.status == "failed"
    assert wording.too_many_in_maintenance("node-3", others=["node-1"], limit=1) in refused.final.text
    assert not sim.store.get("nodes", None, "node-3")["spec"].get("unschedulable")
    assert runner.run("unmaintain", node="node-1").status == "finished"
    assert runner.run("maintain", node="node-3").status == "finished"


def test_unmaintain_uncordons_removes_the_record_and_reports_it(sim: Simulator, runner: JobRunner) -> None:
    """The node is schedulable again, the annotation is gone, the report names who started it."""
    runner.run("maintain", node="node-1")
    saved = record(sim, "node-1")
    assert saved is not None
    moved = [str(pod) for pod in saved["moved"]]
    outcome = runner.run("unmaintain", node="node-1")
    assert outcome.status == "finished"
    assert not sim.store.get("nodes", None, "node-1")["spec"].get("unschedulable")
    assert record(sim, "node-1") is None
    assert wording.maintenance_ended("node-1", moved=moved, started_by="U123") in outcome.texts(
        EventKind.PROGRESS
    )


def test_a_refused_drain_leaves_an_incomplete_record_that_unmaintain_clears(
    sim: Simulator, runner: JobRunner
) -> None:
    """node-2's bare pod refuses the drain: the record says incomplete, the node stays cordoned."""
    outcome = runner.run("maintain", node="node-2")
    assert outcome.status == "failed"
    saved = record(sim, "node-2")
    assert saved is not None and saved["state"] == "incomplete"
    assert runner.run("unmaintain", node="node-2").status == "finished"
    assert record(sim, "node-2") is None
