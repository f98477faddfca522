"""``cancel JOB``: only the person who asked, or an approver of what the job does, may stop it.

Who may cancel is decided on the job's own cluster, wherever ``cancel`` is typed: a channel bound to
another cluster neither lends its rules nor its approvers.
"""

from __future__ import annotations

import fakeredis
import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import demo_policy, load_policy
from bot.wiring import build_engine
from shared.messages import conversation as messages
from tests.support.plans import asked

ALICE, BOB, CAROL, DAVE, EVE = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE", "U_EVE"

TWO_CLUSTERS = """
channel_clusters: {C_STAGING: staging}
groups:
  oncall: [U_ALICE]
rules:
  - commands: [drain]
    clusters: [staging]
    allow: [oncall]
    approval: {approvers: [U_EVE], count: 1, ttl: 15m}
  - commands: [drain]
    allow: [oncall]
    approval: {approvers: [U_CAROL], count: 1, ttl: 15m}
  - commands: [cancel]
    clusters: [staging]
    allow: ["*"]
  - commands: [cancel]
    allow: [oncall, U_CAROL, U_EVE]
"""
"""Drains on staging are approved by Eve, elsewhere by Carol; anyone may cancel on staging only."""


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis with Lua, enough for RQ."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis) -> Engine:
    """The engine under the demo policy (cordon ungated; drain approved by a lead: Bob or Carol)."""
    return build_engine(policy=demo_policy(), connection=connection, cluster="default")


@pytest.fixture(name="two_clusters")
def fixture_two_clusters(connection: Redis) -> Engine:
    """The engine under :data:`TWO_CLUSTERS`, its own cluster ``prod``."""
    return build_engine(
        policy=load_policy(TWO_CLUSTERS, source="two-clusters"), connection=connection, cluster="prod"
    )


def say(
    engine: Engine, text: str, *, user: str, ts: str, channel: str = "C_OPS", thread: str | None = None
) -> Reply:
    """One message; its last reply."""
    return engine.handle(Message(user=user, channel=channel, ts=ts, text=text, thread_ts=thread))[-1]


def status(connection: Redis, job_id: str) -> str:
    """The RQ status of a job."""
    return str(Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status().value)


def approved_drain(engine: Engine, *, approver: str) -> str:
    """Alice asks for a drain and ``approver`` approves it: the queued job's id."""
    request = asked(engine, [say(engine, "drain node-2", user=ALICE, ts="1.1")])
    assert request.approval is not None
    say(engine, "approve", user=approver, ts="1.2", thread="1.1")
    return request.approval.job_id


def test_someone_else_may_not_cancel_a_job_they_did_not_ask_for(engine: Engine, connection: Redis) -> None:
    """Bob may use cancel, but Alice's cordon is hers (nothing gates it): he is refused, it stays queued."""
    job_id = str(say(engine, "cordon node-3", user=ALICE, ts="1.1").job_id)
    refusal = say(engine, f"cancel {job_id}", user=BOB, ts="1.2")
    assert refusal.ephemeral
    assert refusal.text == messages.cancel_not_allowed(job_id=job_id, requester=ALICE, approvers=())
    assert status(connection, job_id) == "queued"


def test_the_requester_may_cancel_their_own_job(engine: Engine, connection: Redis) -> None:
    """Alice cancels her queued cordon: it never runs."""
    job_id = str(say(engine, "cordon node-3", user=ALICE, ts="1.1").job_id)
    answer = say(engine, f"cancel {job_id}", user=ALICE, ts="1.2")
    assert answer.text == messages.cancel_result(job_id=job_id, status="queued")
    assert status(connection, job_id) == "canceled"


def test_an_approver_of_the_rule_that_gated_the_job_may_cancel_it(engine: Engine, connection: Redis) -> None:
    """Carol approved Alice's drain; Bob, another lead (and allowed to cancel), stops it."""
    job_id = approved_drain(engine, approver=CAROL)
    assert status(connection, job_id) == "queued"
    answer = say(engine, f"cancel {job_id}", user=BOB, ts="1.3")
    assert answer.text == messages.cancel_result(job_id=job_id, status="queued")
    assert status(connection, job_id) == "canceled"


def test_the_approvers_of_the_channels_cluster_may_not_cancel_a_job_on_another(
    two_clusters: Engine, connection: Redis
) -> None:
    """Eve approves staging's drains; from the staging channel she still may not stop a drain on prod."""
    job_id = approved_drain(two_clusters, approver=CAROL)
    refusal = say(two_clusters, f"cancel {job_id}", user=EVE, ts="1.3", channel="C_STAGING")
    assert refusal.ephemeral
    assert refusal.text == messages.cancel_not_allowed(job_id=job_id, requester=ALICE, approvers=[CAROL])
    assert status(connection, job_id) == "queued"


def test_the_cancel_rule_is_the_one_of_the_jobs_cluster(two_clusters: Engine, connection: Redis) -> None:
    """Anyone may cancel on staging, not on prod: Dave, typing in the staging channel, is refused by rule 4."""
    job_id = approved_drain(two_clusters, approver=CAROL)
    refusal = say(two_clusters, f"cancel {job_id}", user=DAVE, ts="1.3", channel="C_STAGING")
    assert refusal.ephemeral
    assert "rule 4" in refusal.text
    assert status(connection, job_id) == "queued"


def test_the_approver_of_the_jobs_cluster_may_cancel_it_from_any_channel(
    two_clusters: Engine, connection: Redis
) -> None:
    """Carol approves prod's drains: from the staging channel she stops the prod drain."""
    job_id = approved_drain(two_clusters, approver=CAROL)
    answer = say(two_clusters, f"cancel {job_id}", user=CAROL, ts="1.3", channel="C_STAGING")
    assert answer.text == messages.cancel_result(job_id=job_id, status="queued")
    assert status(connection, job_id) == "canceled"
