"""A plain ``drain`` counts against the cluster-wide maintenance limit (1), from its start until ``uncordon``.

The issue's rule: a node counts while a drain, maintenance or upgrade of it runs and, once drained by the
bot, until it is uncordoned; a plain cordon does not count.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.server import Simulator
from shared.messages import operations as wording
from tests.workers.harness import JobRunner, set_min_available
from workers.maintenance import ANNOTATION, DRAINED_BY


def record(sim: Simulator, node: str) -> dict[str, Any] | None:
    """The maintenance record on a node, parsed."""
    raw = (sim.store.get("nodes", None, node)["metadata"].get("annotations") or {}).get(ANNOTATION)
    return None if raw is None else dict(json.loads(raw))


def unschedulable(sim: Simulator, node: str) -> bool:
    """The node's spec.unschedulable as stored."""
    return bool(sim.store.get("nodes", None, node)["spec"].get("unschedulable"))


def test_a_second_drain_is_refused_naming_the_drained_node_and_leaves_its_node_schedulable(
    sim: Simulator, runner: JobRunner
) -> None:
    """node-1 drained holds the only slot: draining node-3 fails, names node-1, and node-3 is not cordoned."""
    assert runner.run("drain", node="node-1").status == "finished"
    refused = runner.run("drain", node="node-3")
    assert refused.status == "failed"
    assert wording.too_many_in_maintenance("node-3", others=["node-1"], limit=1) in refused.final.text
    assert not unschedulable(sim, "node-3")
    assert record(sim, "node-3") is None


def test_after_uncordoning_the_first_node_the_second_drain_succeeds(
    sim: Simulator, runner: JobRunner
) -> None:
    """uncordon gives the slot back: the record on node-1 is gone and node-3 drains."""
    assert runner.run("drain", node="node-1").status == "finished"
    assert runner.run("uncordon", node="node-1").status == "finished"
    assert record(sim, "node-1") is None
    assert not unschedulable(sim, "node-1")
    assert runner.run("drain", node="node-3").status == "finished"
    assert unschedulable(sim, "node-3")


def test_a_plain_cordon_does_not_count(sim: Simulator, runner: JobRunner) -> None:
    """node-1 only cordoned writes no record, and node-3 still drains."""
    assert runner.run("cordon", node="node-1").status == "finished"
    assert record(sim, "node-1") is None
    assert runner.run("drain", node="node-3").status == "finished"


def test_a_drained_node_carries_a_record_naming_the_drain_and_what_moved(
    sim: Simulator, runner: JobRunner
) -> None:
    """The record says drained, by a drain, with the job id and the pods the drain moved."""
    outcome = runner.run("drain", node="node-1")
    saved = record(sim, "node-1")
    assert saved is not None
    assert (saved["state"], saved["by"], saved["job"]) == ("drained", DRAINED_BY, outcome.job_id)
    assert saved["moved"] == outcome.result["moved"]


def test_unmaintain_also_gives_a_drains_slot_back(sim: Simulator, runner: JobRunner) -> None:
    """unmaintain of a drained node removes its record, so another node may drain."""
    assert runner.run("drain", node="node-1").status == "finished"
    assert runner.run("unmaintain", node="node-1").status == "finished"
    assert record(sim, "node-1") is None
    assert runner.run("drain", node="node-3").status == "finished"


def test_a_drain_refused_before_any_eviction_gives_its_slot_back(sim: Simulator, runner: JobRunner) -> None:
    """node-2's bare pod refuses the drain: node-2 stays cordoned like a plain cordon and does not count."""
    assert runner.run("drain", node="node-2").status == "failed"
    assert unschedulable(sim, "node-2")
    assert record(sim, "node-2") is None
    assert runner.run("drain", node="node-1").status == "finished"


def test_a_drain_that_stopped_partway_keeps_counting_and_its_rerun_continues(
    sim: Simulator, runner: JobRunner
) -> None:
    """A drain held by web-pdb past its timeout stays incomplete; the re-run drains under the same slot."""
    set_min_available(sim, 3)
    stopped = runner.run("drain", node="node-2", force=True, delete_emptydir_data=True, timeout=1.0)
    assert stopped.status == "failed"
    saved = record(sim, "node-2")
    assert saved is not None and saved["state"] == "incomplete"
    assert runner.run("drain", node="node-1").status == "failed"
    set_min_available(sim, 2)
    rerun = runner.run("drain", node="node-2", force=True, delete_emptydir_data=True)
    assert rerun.status == "finished", rerun.texts()
    saved = record(sim, "node-2")
    assert saved is not None and (saved["state"], saved["job"]) == ("drained", rerun.job_id)


def test_a_drain_of_a_node_in_maintenance_runs_under_the_maintenance_record(
    sim: Simulator, runner: JobRunner
) -> None:
    """maintain of node-2 stops on its bare pod; drain --force finishes it and leaves the maintenance record."""
    maintained = runner.run("maintain", node="node-2")
    assert maintained.status == "failed"
    drained = runner.run("drain", node="node-2", force=True, delete_emptydir_data=True)
    assert drained.status == "finished", drained.texts()
    saved = record(sim, "node-2")
    assert saved is not None
    assert (saved["job"], saved.get("by")) == (maintained.job_id, None)
