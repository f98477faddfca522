"""One mutating job per target, and API failures turned into clear messages (safe reads retried)."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis

from kubesim.faults import RequestFault
from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.messages import jobs as job_messages
from shared.messages import operations as wording
from tests.workers.harness import JobRunner
from workers.errors import JobError
from workers.locks import TargetLock, lock_key


def test_a_second_mutating_job_on_the_same_node_is_refused(sim: Simulator, runner: JobRunner) -> None:
    """While another job holds node-1's lock, cordon fails without touching the node."""
    with TargetLock(runner.connection, "node/node-1", cluster="default"):
        outcome = runner.run("cordon", node="node-1")
    assert outcome.status == "failed"
    assert wording.target_busy("node/node-1") in outcome.final.text
    assert not sim.store.get("nodes", None, "node-1")["spec"].get("unschedulable")
    assert runner.run("cordon", node="node-1").status == "finished"


def test_a_lock_taken_over_fails_the_next_check(runner: JobRunner) -> None:
    """The token check notices when the lock expired and someone else took it."""
    connection: Redis = runner.connection
    with TargetLock(connection, "deployment/default/web", cluster="default") as lock:
        lock.check()
        connection.set(lock_key("deployment/default/web", cluster="default"), "someone-else")
        with pytest.raises(JobError, match="lost its lock"):
            lock.check()


def test_each_holder_gets_a_higher_fencing_number(runner: JobRunner) -> None:
    """Fencing numbers grow with every acquisition."""
    with TargetLock(runner.connection, "node/node-3", cluster="default") as first:
        pass
    with TargetLock(runner.connection, "node/node-3", cluster="default") as second:
        pass
    assert second.fence > first.fence


def test_dry_runs_take_no_lock(sim: Simulator, runner: JobRunner) -> None:
    """A plan changes nothing, so it runs even while another job holds the target."""
    with TargetLock(runner.connection, "node/node-2", cluster="default"):
        outcome = runner.run("drain", node="node-2", dry_run=True)
    assert outcome.status == "finished"


def test_transient_read_failures_are_retried(sim: Simulator, runner: JobRunner) -> None:
    """Two 503s on GET node are absorbed by the read backoff; the cordon happens."""
    sim.faults.add_request_fault(RequestFault(action=503, method="GET", resource="nodes", times=2))
    outcome = runner.run("cordon", node="node-3")
    assert outcome.status == "finished", outcome.texts()
    assert sim.store.get("nodes", None, "node-3")["spec"]["unschedulable"] is True


def test_a_forbidden_write_is_reported_as_such(sim: Simulator, runner: JobRunner) -> None:
    """403 on the PATCH becomes the forbidden sentence; the node is unchanged."""
    sim.faults.add_request_fault(
        RequestFault(action=403, method="PATCH", resource="nodes", message="nodes is forbidden")
    )
    outcome = runner.run("cordon", node="node-3")
    assert outcome.status == "failed"
    assert "403 Forbidden" in outcome.final.text
    assert not sim.store.get("nodes", None, "node-3")["spec"].get("unschedulable")


def test_a_server_error_that_persists_is_named(sim: Simulator, runner: JobRunner) -> None:
    """A 500 on every read ends the job with the server-error sentence once the retries are spent."""
    sim.faults.add_request_fault(RequestFault(action=500, method="GET", resource="deployments"))
    outcome = runner.run("history", deployment="web", namespace="default")
    assert outcome.status == "failed"
    assert "The Kubernetes API failed (500" in outcome.final.text


def test_a_conflicting_write_is_re_read_and_re_applied(sim: Simulator, runner: JobRunner) -> None:
    """One 409 on the strategy PATCH: the job reads again and applies its change."""
    sim.faults.add_request_fault(RequestFault(action=409, method="PATCH", resource="deployments", times=1))
    outcome = runner.run("strategy", deployment="web", namespace="default", strategy="Recreate")
    assert outcome.status == "finished", outcome.texts()
    assert sim.store.get("deployments", "default", "web")["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("rollback", {}),
        ("restart", {}),
        ("scale", {"replicas": 7}),
        ("image", {"image": "nginx:1.28"}),
        ("strategy", {"strategy": "Recreate"}),
        ("pause", {}),
    ],
    ids=["rollback", "restart", "scale", "image", "strategy", "pause"],
)
def test_dry_runs_of_deployment_commands_change_nothing(
    sim: Simulator, runner: JobRunner, command: str, arguments: dict[str, Any]
) -> None:
    """Each mutating command's dry run returns its plan with the Deployment's witness, and writes nothing."""
    before = sim.store.get("deployments", "default", "web")
    outcome = runner.run(command, deployment="web", namespace="default", dry_run=True, **arguments)
    assert outcome.status == "finished", outcome.texts()
    plan = outcome.result["plan"]
    assert "deployment/default/web" in plan["witnesses"]
    assert [e.kind for e in outcome.events].count(EventKind.PLAN) == 1
    after = sim.store.get("deployments", "default", "web")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_a_dry_run_ends_planned_and_never_says_it_succeeded(runner: JobRunner) -> None:
    """A plan is not an operation: its last word is a plan's, and RQ still records it finished."""
    outcome = runner.run("cordon", node="node-3", dry_run=True)
    assert outcome.final.kind == EventKind.PLANNED
    assert outcome.final.text == job_messages.planned(job_id=outcome.job_id)
    assert not [text for text in outcome.texts() if "succeeded" in text]
    assert outcome.status == "finished"
