"""Freezes: a policy-named group freezes a cluster; changes are refused with the reason and who froze it;
a break-glass goes through only with an approval from the incident group, and the timeline marks it."""

from __future__ import annotations

import fakeredis
import pytest
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalState
from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import load_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.docs import render_command_reference
from bot.freeze_store import RedisFreezes
from bot.timeline_store import TimelineStore
from shared import commands
from shared.grammar import parse
from shared.messages import freezes as messages
from shared.registry import REGISTRY
from tests.support.clocks import ManualClock
from tests.support.plans import asked

ALICE, BOB, CAROL, IRENE = "U_ALICE", "U_BOB", "U_CAROL", "U_IRENE"
POLICY = """
groups:
  oncall: [U_ALICE]
  leads: [U_BOB, U_CAROL]
  incident: [U_IRENE]
freezes: {by: [leads], incident: [incident]}
rules:
  - commands: [nodes, timeline]
    allow: ["*"]
  - commands: [cordon]
    allow: [oncall]
  - commands: [drain]
    allow: [oncall]
    approval: {approvers: [leads], count: 1, ttl: 15m}
"""


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis with Lua."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    """The bot's clock."""
    return ManualClock()


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis, clock: ManualClock) -> Engine:
    """The engine under the freeze policy."""
    return Engine(
        policy=load_policy(POLICY),
        jobs=RQDispatcher(connection),
        approvals=ApprovalStore(connection, clock=clock),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY, clock=clock),
        default_cluster="default",
        freezes=RedisFreezes(connection, clock=clock),
    )


def say(engine: Engine, text: str, *, user: str, ts: str, thread: str | None = None) -> list[Reply]:
    """One message in the ops channel."""
    return engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text, thread_ts=thread))


def test_a_lead_freezes_and_changes_are_refused_with_the_reason_and_who_froze(engine: Engine) -> None:
    """Bob freezes for the release; Alice's cordon is refused, saying so; reading still works."""
    [frozen] = say(engine, "freeze release 4.2 goes out", user=BOB, ts="1.1")
    assert not frozen.ephemeral
    assert frozen.text == messages.frozen(
        cluster="default", by=BOB, reason="release 4.2 goes out", until=None
    )
    [refused] = say(engine, "cordon node-1", user=ALICE, ts="1.2")
    assert refused.ephemeral
    assert "`default` is frozen until someone unfreezes it by <@U_BOB>: release 4.2 goes out" in refused.text
    assert "`--break-glass`" in refused.text
    [looked] = say(engine, "nodes", user=ALICE, ts="1.3")
    assert "frozen" not in looked.text


def test_only_the_policy_named_group_may_freeze_or_unfreeze(engine: Engine) -> None:
    """Alice (on call, not a lead) may not; Carol unfreezes Bob's freeze; the cordon then goes."""
    [denied] = say(engine, "freeze no reason needed", user=ALICE, ts="1.1")
    assert denied.ephemeral and "`leads`" in denied.text
    say(engine, "freeze release", user=BOB, ts="1.2")
    [unfrozen] = say(engine, "unfreeze", user=CAROL, ts="1.3")
    assert unfrozen.text == messages.unfrozen(cluster="default", by=CAROL)
    [queued] = say(engine, "cordon node-1", user=ALICE, ts="1.4")
    assert "Queued" in queued.text


def test_a_freeze_ends_at_its_until(engine: Engine, clock: ManualClock) -> None:
    """`--until 2h` on another cluster: that cluster only, and only for two hours."""
    [frozen] = say(engine, "freeze --cluster prod --until 2h big sale", user=BOB, ts="1.1")
    assert "`prod` is frozen until" in frozen.text
    assert say(engine, "cordon node-1 --cluster prod", user=ALICE, ts="1.2")[0].ephemeral
    assert "Queued" in say(engine, "cordon node-1", user=ALICE, ts="1.3")[0].text
    clock.now += 2 * 3600
    assert "Queued" in say(engine, "cordon node-2 --cluster prod", user=ALICE, ts="1.4")[0].text


def test_break_glass_needs_an_approval_from_the_incident_group(engine: Engine) -> None:
    """During the freeze Alice breaks the glass for a drain: Bob's approval alone does not release it;
    Irene's (incident) does. The timeline marks the break-glass."""
    say(engine, "freeze release", user=BOB, ts="1.1")
    [planning] = say(engine, "drain node-2 --break-glass", user=ALICE, ts="1700000000.000100")
    assert messages.break_glass_needs_incident(incident=["incident"]) in planning.text
    request = asked(engine, [planning])
    assert request.approval is not None and request.approval.incident == ("incident",)
    [bobs] = say(engine, "approve", user=BOB, ts="1.3", thread="1700000000.000100")
    assert bobs.approval is not None and bobs.approval.state is ApprovalState.PENDING
    [carols] = say(engine, "approve", user=CAROL, ts="1.4", thread="1700000000.000100")
    assert carols.text == messages.still_needs_incident(incident=["incident"])
    replies = say(engine, "approve", user=IRENE, ts="1.5", thread="1700000000.000100")
    assert replies[0].approval is not None and replies[0].approval.state is ApprovalState.APPROVED
    assert replies[-1].job_id == request.approval.job_id
    [export] = say(engine, "timeline --export json", user=ALICE, ts="1.6")
    assert export.file is not None and '"break_glass": true' in export.file.content


def test_break_glass_on_a_command_without_approval_asks_the_incident_group(engine: Engine) -> None:
    """A cordon needs no approval normally; during a freeze, its break-glass needs Irene's."""
    say(engine, "freeze release", user=BOB, ts="1.1")
    request = asked(engine, say(engine, "cordon node-1 --break-glass", user=ALICE, ts="1700000000.000200"))
    assert request.approval is not None and request.approval.approvers == ("incident",)
    [refused] = say(engine, "approve", user=BOB, ts="1.3", thread="1700000000.000200")
    assert refused.ephemeral


def test_break_glass_on_a_cluster_that_is_not_frozen_is_refused(engine: Engine) -> None:
    """Nothing to break: the person is told to leave it out."""
    [refused] = say(engine, "cordon node-1 --break-glass", user=ALICE, ts="1.1")
    assert refused.ephemeral and refused.text == messages.break_glass_not_frozen()


def test_freeze_and_unfreeze_are_commands_of_the_registry_read_by_the_grammar() -> None:
    """One definition: the grammar reads them (the engine then reads a first word naming a cluster), and
    ``help`` and the docs take their usage from the same entry."""
    assert parse("freeze --until 18:00 prod release day") == commands.Freeze(
        words="prod release day", until="18:00"
    )
    assert parse("unfreeze --cluster prod") == commands.Unfreeze(cluster="prod")
    assert REGISTRY["freeze"].usage == "freeze [CLUSTER] [--until TIME] REASON"
    assert "`freeze [CLUSTER] [--until TIME] REASON`" in render_command_reference()
