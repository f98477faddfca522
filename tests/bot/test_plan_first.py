"""The plan comes before the request: nobody is asked to approve a command whose plan has not succeeded.

A command that needs approval runs its plan first. Only a plan that succeeds opens the approval
request (bound to that plan); a plan that fails, is cancelled or never ends answers the requester
with the refusal, asks nobody, and can never be approved. A pending request whose target a job
changes is voided there and then, and says so.
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalState, approval_id_for
from bot.core.conversation import Engine, Reply
from shared.grammar import parse
from shared.invocation import invocation_of
from shared.jobevents import COMMAND_DETAIL, EventKind, JobEvent
from shared.jobs import plan_job_id
from shared.messages import approvals as approval_messages

# The demo engine on an in-memory Redis, and one message in the ops channel, as the approval flow's tests have them.
from tests.bot.test_approval_flow import fixture_clock, fixture_connection, fixture_engine, say  # noqa: F401
from tests.support.clocks import ManualClock
from tests.support.plans import plan_ends

ALICE, BOB = "U_ALICE", "U_BOB"
REQUEST_TS = "1700000000.000100"
REFUSAL = "`job-x-plan` failed: v1.33.0 skips a minor version: go to v1.32 first."


def state(connection: Redis, planning: Reply) -> ApprovalState:
    """The stored state of the request that ``planning`` answered for."""
    assert planning.job_id is not None
    request = ApprovalStore(connection).get(approval_id_for(job_id=planning.job_id.removesuffix("-plan")))
    assert request is not None
    return request.state


def job_status(connection: Redis, job_id: str) -> str:
    """The RQ status of a job."""
    return str(Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status().value)


def test_a_gated_command_answers_that_its_plan_comes_first_and_asks_nobody_yet(
    engine: Engine, connection: Redis
) -> None:
    """drain node-2: one reply saying approval is needed and the plan comes first; no request to answer yet."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    assert planning.approval is None
    assert planning.job_id is not None and planning.job_id.endswith("-plan")
    assert "needs approval from `leads`" in planning.text
    assert "approvers are asked once it is shown" in planning.text
    assert state(connection, planning) is ApprovalState.PLANNING


def test_an_approval_typed_while_the_plan_runs_does_not_count(engine: Engine, connection: Redis) -> None:
    """Bob approves before the plan is shown: told (only him) to wait for it; nothing is released."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    [early] = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert early.ephemeral
    assert early.text == approval_messages.plan_still_running()
    assert state(connection, planning) is ApprovalState.PLANNING
    assert planning.job_id is not None
    assert job_status(connection, planning.job_id.removesuffix("-plan")) == "created"


def test_a_plan_that_succeeds_opens_the_request_bound_to_that_plan(engine: Engine, connection: Redis) -> None:
    """The plan ends planned: approvers are asked now, for the witnesses the plan recorded; Bob's approve counts."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    witnesses = {"node/node-2": "abc123"}
    [request] = plan_ends(engine, planning, details={"plan": {"witnesses": witnesses}})
    assert request.approval is not None and request.approval.state is ApprovalState.PENDING
    assert dict(request.approval.witnesses) == witnesses
    assert "needs 1 approval from `leads`" in request.text
    replies = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert replies[-1].job_id == request.approval.job_id


@pytest.mark.parametrize("kind", [EventKind.FAILED, EventKind.CANCELLED], ids=["failed", "cancelled"])
def test_a_plan_that_does_not_succeed_answers_the_requester_and_asks_nobody(
    engine: Engine, connection: Redis, kind: EventKind
) -> None:
    """upgrade control-plane v1.33.0 on a v1.31 cluster: the plan refuses; the thread is told, the job never runs."""
    [planning] = say(engine, "upgrade control-plane v1.33.0", user=ALICE, ts=REQUEST_TS)
    [refusal] = plan_ends(engine, planning, kind=kind, text=REFUSAL)
    assert refusal.approval is not None and refusal.approval.state is ApprovalState.REFUSED
    assert not refusal.ephemeral and refusal.thread_ts == REQUEST_TS
    assert refusal.text == approval_messages.plan_refused(
        description="upgrade control-plane v1.33.0", reason=REFUSAL
    )
    assert refusal.approval.reason == REFUSAL
    assert job_status(connection, refusal.approval.job_id) == "canceled"


def test_a_refused_request_cannot_be_approved_typed_or_by_its_id(engine: Engine, connection: Redis) -> None:
    """After the refusal, Bob's approve finds nothing to answer, and naming the request is refused too."""
    [planning] = say(engine, "upgrade control-plane v1.33.0", user=ALICE, ts=REQUEST_TS)
    [refusal] = plan_ends(engine, planning, kind=EventKind.FAILED, text=REFUSAL)
    assert refusal.approval is not None
    [typed] = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert typed.text == approval_messages.no_pending_request()
    [named] = say(engine, f"approve {refusal.approval.approval_id}", user=BOB, ts="1.3", thread=REQUEST_TS)
    assert named.ephemeral
    assert named.text == approval_messages.already_decided(state="refused")
    assert job_status(connection, refusal.approval.job_id) == "canceled"


def test_a_plan_read_twice_opens_its_request_once(engine: Engine) -> None:
    """Two bot processes (or a redelivery) read the plan's last word: one request message, not two."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    assert len(plan_ends(engine, planning)) == 1
    assert plan_ends(engine, planning) == []
    assert plan_ends(engine, planning, kind=EventKind.FAILED) == []


def test_a_plan_that_never_ends_expires_its_request_and_asks_nobody(
    engine: Engine, connection: Redis, clock: ManualClock
) -> None:
    """No word from the plan within the request's 15 minutes: expired, the job dropped, the thread told."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    clock.now += 16 * 60
    [notice] = engine.expire_due()
    assert notice.approval is not None and notice.approval.state is ApprovalState.EXPIRED
    assert job_status(connection, notice.approval.job_id) == "canceled"
    assert plan_ends(engine, planning) == []


def test_the_requester_may_withdraw_a_request_whose_plan_still_runs(
    engine: Engine, connection: Redis
) -> None:
    """cancel JOB by Alice while the plan runs: the request is cancelled, the plan and the job never run."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    assert planning.job_id is not None
    job_id = planning.job_id.removesuffix("-plan")
    [reply] = say(engine, f"cancel {job_id}", user=ALICE, ts="1.2")
    assert reply.approval is not None and reply.approval.state is ApprovalState.CANCELLED
    assert job_status(connection, job_id) == "canceled"
    assert job_status(connection, plan_job_id(job_id)) == "canceled"


def finished(engine: Engine, text: str, *, kind: EventKind = EventKind.SUCCEEDED) -> list[Reply]:
    """A job run for ``text`` (typed by Bob in another thread) reports its last word; the engine's replies."""
    event = JobEvent(
        job_id="job-0000000bob",
        kind=kind,
        text="`job-0000000bob` succeeded.",
        channel="C_OPS",
        thread_ts="1.9",
        at=0.0,
        details={COMMAND_DETAIL: invocation_of(parse(text)).to_json()},
        user=BOB,
        cluster="default",
    )
    return engine.plans_reported([event])


def planned_drain(engine: Engine) -> Reply:
    """Alice's drain of node-2, its plan shown (it read node/node-2 and a pod on it): pending."""
    [planning] = say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS)
    witnesses = {"node/node-2": "n1", "pod/default/web-1": "p1"}
    [request] = plan_ends(engine, planning, details={"plan": {"witnesses": witnesses}})
    return request


def test_a_job_that_changes_the_target_of_a_pending_request_voids_it_and_says_so(
    engine: Engine, connection: Redis
) -> None:
    """Bob cordons node-2 while the drain waits: the request is void, the thread says why, nobody can approve it."""
    request = planned_drain(engine)
    assert request.approval is not None
    [void] = finished(engine, "cordon node-2")
    assert void.approval is not None and void.approval.state is ApprovalState.VOIDED
    assert void.thread_ts == REQUEST_TS
    assert void.text == approval_messages.voided_while_pending(
        targets=["node/node-2"], job_id="job-0000000bob"
    )
    assert job_status(connection, request.approval.job_id) == "canceled"
    [late] = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert late.text == approval_messages.no_pending_request()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("cordon node-3", EventKind.SUCCEEDED),
        ("cordon node-2 --dry-run", EventKind.SUCCEEDED),
        ("cordon node-2", EventKind.FAILED),
        ("status web", EventKind.SUCCEEDED),
    ],
    ids=["another-node", "a-dry-run", "a-failed-job", "a-lookup"],
)
def test_a_job_that_changes_nothing_the_plan_read_leaves_the_request_pending(
    engine: Engine, connection: Redis, text: str, kind: EventKind
) -> None:
    """Another node, a dry run, a job that failed, a lookup: the drain still waits for its approval."""
    request = planned_drain(engine)
    assert finished(engine, text, kind=kind) == []
    assert request.approval is not None
    stored = ApprovalStore(connection).get(request.approval.approval_id)
    assert stored is not None and stored.state is ApprovalState.PENDING


def test_a_daemonset_rollback_waiting_for_approval_is_voided_by_a_change_to_that_daemonset_only(
    engine: Engine, connection: Redis
) -> None:
    """Its plan read daemonset/kube-system/log-agent: a rollback of a Deployment of the same name leaves it
    pending; a change to the DaemonSet itself voids it, naming it."""
    [planning] = say(engine, "rollback daemonset/log-agent -n kube-system", user=ALICE, ts=REQUEST_TS)
    witnesses = {"daemonset/kube-system/log-agent": "d1", "controllerrevision/kube-system/log-agent-1": "r1"}
    [request] = plan_ends(engine, planning, details={"plan": {"witnesses": witnesses}})
    assert request.approval is not None and request.approval.state is ApprovalState.PENDING
    assert finished(engine, "rollback log-agent -n kube-system") == []
    [void] = finished(engine, "rollout undo ds/log-agent -n kube-system --to-revision 1")
    assert void.approval is not None and void.approval.state is ApprovalState.VOIDED
    assert void.text == approval_messages.voided_while_pending(
        targets=["daemonset/kube-system/log-agent"], job_id="job-0000000bob"
    )
