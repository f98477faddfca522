"""cordon and uncordon run by the workers through RQ, on both test beds, read back from the API server
and compared with what the real kubectl says of the same node."""

from __future__ import annotations

from tests.beds.view import kubectl, runner_for, unschedulable
from tests.support.beds import Bed


def test_cordon_then_uncordon_flip_spec_unschedulable(bed: Bed) -> None:
    """cordon marks node-1 unschedulable (kubectl shows SchedulingDisabled); uncordon undoes it."""
    runner = runner_for(bed)
    outcome = runner.run("cordon", node="node-1")
    assert outcome.status == "finished", outcome.texts()
    assert unschedulable(bed, "node-1")
    shown = kubectl(bed, "get", "node", "node-1", "--no-headers")
    assert "SchedulingDisabled" in shown.stdout, shown.stderr
    assert runner.run("uncordon", node="node-1").status == "finished"
    assert not unschedulable(bed, "node-1")


def test_cordon_twice_changes_nothing_the_second_time(bed: Bed) -> None:
    """A second cordon finds the node already unschedulable and says so, as kubectl does."""
    runner = runner_for(bed)
    assert runner.run("cordon", node="node-3").status == "finished"
    again = runner.run("cordon", node="node-3")
    assert again.status == "finished", again.texts()
    assert any("already cordoned" in text for text in again.texts())
    assert unschedulable(bed, "node-3")


def test_a_dry_run_cordon_leaves_the_node_schedulable(bed: Bed) -> None:
    """The plan only."""
    outcome = runner_for(bed).run("cordon", node="node-1", dry_run=True)
    assert outcome.status == "finished", outcome.texts()
    assert not unschedulable(bed, "node-1")


def test_cordoning_an_unknown_node_names_it(bed: Bed) -> None:
    """The API server's 404 names the node."""
    outcome = runner_for(bed).run("cordon", node="node-9")
    assert outcome.status == "failed"
    assert "node-9" in outcome.final.text
