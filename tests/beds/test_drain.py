"""``drain`` run by the workers through RQ, on both test beds: kubectl's refusals, --force and
--delete-emptydir-data, a budget that holds the drain and then frees it, two budgets over one pod,
the global timeout, a cancel, an unknown node. Every outcome is read back from the API server."""

from __future__ import annotations

import threading

from shared.jobevents import EventKind
from shared.messages import operations as wording
from tests.beds.view import (
    add_budget,
    pod_exists,
    pods_on,
    runner_for,
    set_min_available,
    terminating,
    unschedulable,
    web_pod_on,
)
from tests.support.beds import Bed
from workers.pods import LOCAL_STORAGE_FATAL, UNMANAGED_FATAL

NODE = "node-2"


def test_a_dry_run_shows_the_plan_and_changes_nothing(bed: Bed) -> None:
    """The plan names the budget and the refusals; the node and its pods stay as they were."""
    before = pods_on(bed, NODE)
    outcome = runner_for(bed).run("drain", node=NODE, dry_run=True)
    assert outcome.status == "finished", outcome.texts()
    plan = outcome.result["plan"]
    assert plan["budgets"] == ["default/web-pdb"], (
        plan["evict"] + plan["lost"] + plan["ignored"] + [str(plan["refusals"])]
    )
    assert sorted(plan["refusals"]) == sorted([LOCAL_STORAGE_FATAL, UNMANAGED_FATAL])
    assert not unschedulable(bed, NODE)
    assert pods_on(bed, NODE) == before


def test_refusals_abort_before_any_eviction_and_leave_the_node_cordoned(bed: Bed) -> None:
    """A bare pod and an emptyDir pod refuse the drain without flags, in kubectl's words; nothing is evicted."""
    before = pods_on(bed, NODE)
    outcome = runner_for(bed).run("drain", node=NODE)
    assert outcome.status == "failed"
    assert (
        "cannot delete Pods that declare no controller (use --force to override): default/debug-shell"
        in outcome.final.text
    )
    assert (
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-0"
        in outcome.final.text
    )
    assert unschedulable(bed, NODE)
    assert pods_on(bed, NODE) == before


def test_a_forced_drain_evicts_everything_but_daemonsets_and_reports_the_losses(bed: Bed) -> None:
    """With --force and --delete-emptydir-data the node keeps only its DaemonSet pods."""
    web = web_pod_on(bed, NODE)
    outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True)
    assert outcome.status == "finished", outcome.texts()
    assert unschedulable(bed, NODE)
    assert pods_on(bed, NODE) == []
    assert not pod_exists(bed, web)
    assert web in outcome.result["moved"]
    assert outcome.result["lost"] == ["default/cache-0", "default/debug-shell"]
    assert outcome.result["undo"] == f"uncordon {NODE}"
    assert any(text.startswith(f"node/{NODE} drained") for text in outcome.texts(EventKind.PROGRESS))


def test_a_budget_that_allows_nothing_holds_the_eviction_until_it_allows_one(bed: Bed) -> None:
    """The eviction API's 429 makes the drain wait on web-pdb and say so; it goes on once the budget relaxes."""
    set_min_available(bed, 3)
    relax = threading.Timer(2.0, set_min_available, args=(bed, 2))
    relax.start()
    try:
        outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True)
    finally:
        relax.join()
    assert outcome.status == "finished", outcome.texts()
    assert wording.waiting_on_budget("web-pdb", desired=3, healthy=3) in outcome.texts(EventKind.PROGRESS)
    assert pods_on(bed, NODE) == []


def test_a_pod_covered_by_two_budgets_fails_clearly_while_the_others_go(bed: Bed) -> None:
    """The eviction API refuses a pod under two budgets (a 500); the drain names it and keeps the node cordoned."""
    add_budget(bed, "web-pdb-2", max_unavailable=1, app="web")
    web = web_pod_on(bed, NODE)
    outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True)
    assert outcome.status == "failed"
    assert f"cannot evict pod {web}" in outcome.final.text
    assert "more than one PodDisruptionBudget" in outcome.final.text
    assert pods_on(bed, NODE) == [web]
    assert unschedulable(bed, NODE)


def test_the_global_timeout_stops_the_drain_and_names_the_pending_pods(bed: Bed) -> None:
    """A budget that never relaxes runs into --timeout; the blocked pod stays, the node stays cordoned."""
    set_min_available(bed, 3)
    web = web_pod_on(bed, NODE)
    outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True, timeout=2.0)
    assert outcome.status == "failed"
    assert "global timeout reached" in outcome.final.text
    assert web in outcome.final.text
    assert not terminating(bed, web)
    assert unschedulable(bed, NODE)


def test_a_cancel_stops_between_evictions_and_says_what_was_evicted(bed: Bed) -> None:
    """The cooperative cancel ends the job as cancelled; the node stays cordoned, the blocked pod stays."""
    set_min_available(bed, 3)
    web = web_pod_on(bed, NODE)
    runner = runner_for(bed)
    job_id = runner.enqueue("drain", node=NODE, force=True, delete_emptydir_data=True)
    runner.cancel(job_id)
    runner.work()
    outcome = runner.outcome(job_id)
    assert outcome.final.kind == EventKind.CANCELLED
    assert "Evicted before the cancel" in outcome.final.text
    assert not terminating(bed, web)
    assert unschedulable(bed, NODE)


def test_draining_an_unknown_node_names_it(bed: Bed) -> None:
    """The API server's 404 on the node becomes the node-not-found sentence."""
    outcome = runner_for(bed).run("drain", node="node-9")
    assert outcome.status == "failed"
    assert "node-9" in outcome.final.text
