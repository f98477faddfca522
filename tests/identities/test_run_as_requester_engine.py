"""Where a cluster runs jobs as the requester, the engine queues each job with the person's identity,
and refuses, before queueing anything, someone the policy gives no identity."""

from __future__ import annotations

import dataclasses

import fakeredis
import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine, Message
from bot.core.policy_file import demo_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.timeline_store import TimelineStore
from shared.identities import Identities, KubeIdentity, RunAs
from shared.jobs import queue_name
from shared.messages import access as messages
from tests.support.clocks import ManualClock

ALICE, DAVE = "U_ALICE", "U_DAVE"
ALICE_ON_PROD = KubeIdentity(user="alice@example.com", groups=("sre",))


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


def engine_for(connection: Redis, *, run_as: RunAs) -> Engine:
    """The demo policy, with cluster ``prod`` run as ``run_as`` and only alice mapped."""
    identities = Identities(run_as={"prod": run_as}, people={ALICE: ALICE_ON_PROD})
    clock = ManualClock()
    return Engine(
        policy=dataclasses.replace(demo_policy(), identities=identities),
        jobs=RQDispatcher(connection),
        approvals=ApprovalStore(connection, clock=clock),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY, clock=clock),
        default_cluster="prod",
    )


def queued(connection: Redis) -> list[Job]:
    return Queue(queue_name("prod"), connection=connection, serializer=JSONSerializer).get_jobs()


def say(engine: Engine, text: str, *, user: str, ts: str = "1700000000.000100") -> str:
    [reply] = engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text))
    return reply.text


def test_a_mapped_requester_s_job_carries_their_identity(connection: Redis) -> None:
    say(engine_for(connection, run_as=RunAs.REQUESTER), "cordon node-3", user=ALICE)
    [job] = queued(connection)
    assert job.kwargs["act_as"] == ALICE_ON_PROD.to_json()


def test_a_plan_for_approval_acts_as_the_requester_too(connection: Redis) -> None:
    say(engine_for(connection, run_as=RunAs.REQUESTER), "drain node-2", user=ALICE)
    [plan] = queued(connection)
    assert plan.kwargs["dry_run"] is True and plan.kwargs["act_as"] == ALICE_ON_PROD.to_json()


def test_an_unmapped_requester_is_refused_and_nothing_is_queued(connection: Redis) -> None:
    text = say(engine_for(connection, run_as=RunAs.REQUESTER), "nodes", user=DAVE)
    assert text == messages.unmapped(user=DAVE, cluster="prod")
    assert queued(connection) == []


def test_where_jobs_run_as_the_bot_nothing_changes(connection: Redis) -> None:
    engine = engine_for(connection, run_as=RunAs.BOT)
    say(engine, "cordon node-3", user=ALICE)
    say(engine, "nodes", user=DAVE, ts="1700000000.000200")
    assert [("act_as" in job.kwargs) for job in queued(connection)] == [False, False]
