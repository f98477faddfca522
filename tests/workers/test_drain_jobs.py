"""``drain`` run through RQ against the simulated cluster: kubectl's refusals, evictions through budgets,
failures, cancel and timeout, with real outcomes on the nodes and pods."""

from __future__ import annotations

import threading

from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.messages import operations as wording
from tests.workers.harness import JobRunner, non_daemon_pods, set_min_available
from workers.pods import LOCAL_STORAGE_FATAL, UNMANAGED_FATAL

NODE = "node-2"


def web_pod_on(sim: Simulator, node: str) -> str:
    """The web pod the scenario placed on a node."""
    [name] = [p for p in non_daemon_pods(sim, node) if p.startswith("default/web-")]
    return name


def unschedulable(sim: Simulator, node: str) -> bool:
    """The node's spec.unschedulable as stored."""
    return bool(sim.store.get("nodes", None, node)["spec"].get("unschedulable"))


def test_a_dry_run_shows_the_plan_and_changes_nothing(sim: Simulator, runner: JobRunner) -> None:
    """The plan names pods to move, pods lost, budgets and refusals; the node and pods stay as they were."""
    before = non_daemon_pods(sim, NODE)
    outcome = runner.run("drain", node=NODE, dry_run=True)
    assert outcome.status == "finished"
    plan = outcome.result["plan"]
    assert plan["budgets"] == ["default/web-pdb"]
    assert sorted(plan["refusals"]) == sorted([LOCAL_STORAGE_FATAL, UNMANAGED_FATAL])
    assert f"node/{NODE}" in plan["witnesses"]
    assert "poddisruptionbudget/default/web-pdb" in plan["witnesses"]
    assert EventKind.PLAN in [e.kind for e in outcome.events]
    assert not unschedulable(sim, NODE)
    assert non_daemon_pods(sim, NODE) == before


def test_refusals_abort_before_any_eviction_and_leave_the_node_cordoned(
    sim: Simulator, runner: JobRunner
) -> None:
    """A bare pod and an emptyDir pod refuse the drain without flags; nothing is evicted."""
    before = non_daemon_pods(sim, NODE)
    outcome = runner.run("drain", node=NODE)
    assert outcome.status == "failed"
    assert outcome.final.kind == EventKind.FAILED
    assert (
        "cannot delete Pods that declare no controller (use --force to override): default/debug-shell"
        in outcome.final.text
    )
    assert (
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-0"
        in outcome.final.text
    )
    assert unschedulable(sim, NODE)
    assert non_daemon_pods(sim, NODE) == before


def test_a_forced_drain_evicts_everything_but_daemonsets_and_reports_the_losses(
    sim: Simulator, runner: JobRunner
) -> None:
    """With --force and --delete-emptydir-data the node empties; the web pod is replaced elsewhere."""
    web = web_pod_on(sim, NODE)
    outcome = runner.run("drain", node=NODE, force=True, delete_emptydir_data=True)
    assert outcome.status == "finished", outcome.texts()
    assert unschedulable(sim, NODE)
    assert non_daemon_pods(sim, NODE) == []
    assert sim.store.find("pods", "default", web.split("/")[1]) is None
    assert outcome.result["moved"] == [web]
    assert outcome.result["lost"] == ["default/cache-0", "default/debug-shell"]
    assert outcome.result["undo"] == f"uncordon {NODE}"
    progress = outcome.texts(EventKind.PROGRESS)
    assert wording.evicted_progress(3, 3, outcome.result["evicted"][0]).split(" (")[0] in " ".join(progress)
    assert any(text.startswith(f"node/{NODE} drained") for text in progress)


def test_a_budget_that_allows_nothing_holds_the_eviction_until_it_allows_one(
    sim: Simulator, runner: JobRunner
) -> None:
    """A 429 makes the drain wait on web-pdb and say so; it evicts as soon as the budget relaxes."""
    set_min_available(sim, 3)
    relax = threading.Timer(1.0, set_min_available, args=(sim, 2))
    relax.start()
    try:
        outcome = runner.run("drain", node=NODE, force=True, delete_emptydir_data=True)
    finally:
        relax.join()
    assert outcome.status == "finished", outcome.texts()
    assert wording.waiting_on_budget("web-pdb", desired=3, healthy=3) in outcome.texts(EventKind.PROGRESS)
    assert non_daemon_pods(sim, NODE) == []


def test_a_pod_covered_by_two_budgets_fails_clearly_while_the_others_go(
    sim: Simulator, runner: JobRunner
) -> None:
    """The eviction API's 500 for several budgets fails that pod; the drain reports it and what was evicted."""
    sim.store.create(
        "poddisruptionbudgets",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web-pdb-2", "namespace": "default"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    web = web_pod_on(sim, NODE)
    outcome = runner.run("drain", node=NODE, force=True, delete_emptydir_data=True)
    assert outcome.status == "failed"
    assert f"cannot evict pod {web}" in outcome.final.text
    assert "more than one PodDisruptionBudget" in outcome.final.text
    assert non_daemon_pods(sim, NODE) == [web]
    assert unschedulable(sim, NODE)


def test_the_global_timeout_stops_the_drain_and_names_the_pending_pods(
    sim: Simulator, runner: JobRunner
) -> None:
    """A budget that never relaxes runs into --timeout; the node stays cordoned."""
    set_min_available(sim, 3)
    web = web_pod_on(sim, NODE)
    outcome = runner.run("drain", node=NODE, force=True, delete_emptydir_data=True, timeout=1.0)
    assert outcome.status == "failed"
    assert "global timeout reached" in outcome.final.text
    assert web in outcome.final.text
    blocked = sim.store.get("pods", "default", web.split("/")[1])
    assert "deletionTimestamp" not in blocked["metadata"]
    assert unschedulable(sim, NODE)


def test_a_cancel_stops_between_evictions_and_says_what_was_evicted(
    sim: Simulator, runner: JobRunner
) -> None:
    """The cooperative cancel ends the job as cancelled; the node stays cordoned, the blocked pod stays."""
    set_min_available(sim, 3)
    web = web_pod_on(sim, NODE)
    job_id = runner.enqueue("drain", node=NODE, force=True, delete_emptydir_data=True)
    runner.cancel(job_id)
    runner.work()
    outcome = runner.outcome(job_id)
    assert outcome.final.kind == EventKind.CANCELLED
    assert "Evicted before the cancel" in outcome.final.text
    blocked = sim.store.get("pods", "default", web.split("/")[1])
    assert "deletionTimestamp" not in blocked["metadata"]
    assert unschedulable(sim, NODE)


def test_draining_an_unknown_node_names_it(runner: JobRunner) -> None:
    """A 404 on the node becomes the node-not-found sentence."""
    outcome = runner.run("drain", node="node-9")
    assert outcome.status == "failed"
    assert "node-9" in outcome.final.text
