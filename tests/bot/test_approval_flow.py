"""Risky commands wait for approval in their thread; the deciding answer releases or drops the job."""

from __future__ import annotations

import fakeredis
import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalState
from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import demo_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.timeline_store import TimelineStore
from shared.jobs import queue_name
from shared.messages import approvals as approval_messages
from tests.support.clocks import ManualClock
from tests.support.plans import asked

ALICE, BOB, CAROL, DAVE = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"
REQUEST_TS = "1700000000.000100"


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis with Lua."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    """The approvals' clock."""
    return ManualClock()


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis, clock: ManualClock) -> Engine:
    """The engine under the demo policy (drain needs 1 approval from leads: bob or carol)."""
    return Engine(
        policy=demo_policy(),
        jobs=RQDispatcher(connection),
        approvals=ApprovalStore(connection, clock=clock),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY, clock=clock),
        default_cluster="default",
    )


def say(engine: Engine, text: str, *, user: str, ts: str, thread: str | None = None) -> list[Reply]:
    """One message in the ops channel."""
    return engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text, thread_ts=thread))


def queued(connection: Redis) -> list[Job]:
    """Jobs waiting on the default queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_jobs()


def request_drain(engine: Engine) -> str:
    """Alice asks for a drain; returns the real job's id."""
    reply = asked(engine, say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS))
    assert reply.approval is not None
    return reply.approval.job_id


def test_the_request_says_which_cluster_it_would_change(engine: Engine) -> None:
    """Approvers see the cluster in the ask itself: `--cluster` or the default, never left out."""
    default = asked(engine, say(engine, "drain node-2", user=ALICE, ts=REQUEST_TS))
    named = asked(engine, say(engine, "drain node-2 --cluster prod-eu", user=ALICE, ts="1.5"))
    assert "drain node/node-2 on cluster `default` needs 1 approval" in default.text
    assert "drain node/node-2 on cluster `prod-eu` needs 1 approval" in named.text


def test_the_requester_cannot_approve_their_own_request(engine: Engine, connection: Redis) -> None:
    """Alice's own approve is refused, only to her, and the drain stays parked."""
    job_id = request_drain(engine)
    [reply] = say(engine, "approve", user=ALICE, ts="1.2", thread=REQUEST_TS)
    assert reply.ephemeral
    assert reply.text == approval_messages.self_approval_refused()
    assert job_id not in [job.id for job in queued(connection)]


def test_someone_who_is_not_an_approver_is_refused(engine: Engine, connection: Redis) -> None:
    """Dave is no lead: his approve counts for nothing."""
    job_id = request_drain(engine)
    [reply] = say(engine, "approve", user=DAVE, ts="1.2", thread=REQUEST_TS)
    assert reply.ephemeral
    assert job_id not in [job.id for job in queued(connection)]


def test_an_approval_by_a_lead_releases_the_parked_job_with_its_plan(
    engine: Engine, connection: Redis
) -> None:
    """Bob approves in the thread: the real drain is queued, carrying the plan it was approved for."""
    job_id = request_drain(engine)
    replies = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert [reply.job_id for reply in replies][-1] == job_id
    [job] = [job for job in queued(connection) if job.id == job_id]
    assert job.kwargs["dry_run"] is False
    assert job.kwargs["approval"]["plan_job"] == f"{job_id}-plan"


def test_a_second_approval_after_the_decision_changes_nothing(engine: Engine, connection: Redis) -> None:
    """Carol approving after Bob finds nothing pending; the job is queued once."""
    job_id = request_drain(engine)
    say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    [late] = say(engine, "approve", user=CAROL, ts="1.3", thread=REQUEST_TS)
    assert late.text == approval_messages.no_pending_request()
    assert [job.id for job in queued(connection)].count(job_id) == 1


def test_a_deny_with_a_reason_drops_the_job(engine: Engine, connection: Redis) -> None:
    """Carol denies: the reason is told, and the parked drain is cancelled for good."""
    job_id = request_drain(engine)
    [reply] = say(engine, "deny not during the sale", user=CAROL, ts="1.2", thread=REQUEST_TS)
    assert "not during the sale" in reply.text
    assert reply.approval is not None and reply.approval.state is ApprovalState.DENIED
    assert Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == "canceled"


def test_the_requester_can_cancel_a_pending_request(engine: Engine, connection: Redis) -> None:
    """cancel JOB by Alice withdraws her request; the job never runs."""
    job_id = request_drain(engine)
    [reply] = say(engine, f"cancel {job_id}", user=ALICE, ts="1.2")
    assert reply.approval is not None and reply.approval.state is ApprovalState.CANCELLED
    assert Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == "canceled"


def test_an_expired_request_drops_its_job_and_tells_its_thread(
    engine: Engine, connection: Redis, clock: ManualClock
) -> None:
    """After the 15 minutes of the demo policy, the request expires and a late approval is refused."""
    job_id = request_drain(engine)
    clock.now += 16 * 60
    [notice] = engine.expire_due()
    assert notice.thread_ts == REQUEST_TS
    assert notice.channel == "C_OPS"
    assert Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == "canceled"
    [late] = say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert late.text == approval_messages.no_pending_request()


def test_approve_outside_a_thread_says_where_to_answer(engine: Engine) -> None:
    """A top-level approve is not guessed at."""
    [reply] = say(engine, "approve", user=BOB, ts="1.2")
    assert reply.text == approval_messages.answer_in_thread()


def test_a_dry_run_of_a_risky_command_needs_no_approval(engine: Engine, connection: Redis) -> None:
    """drain --dry-run only plans: it is queued at once."""
    [reply] = say(engine, "drain node-2 --dry-run", user=ALICE, ts=REQUEST_TS)
    assert reply.approval is None
    [job] = queued(connection)
    assert job.kwargs["dry_run"] is True


def test_the_whole_exchange_lands_on_the_timeline_in_order(engine: Engine) -> None:
    """Command, approval request, refused self-approval and decision are all recorded."""
    request_drain(engine)
    say(engine, "approve", user=ALICE, ts="1.2", thread=REQUEST_TS)
    say(engine, "approve", user=BOB, ts="1.3", thread=REQUEST_TS)
    [page] = say(engine, "timeline", user=DAVE, ts="1.4")
    for fragment in ("command", "approval requested", "approval answered", "approval decided"):
        assert fragment in page.text
