"""Turning a page is reading: under a policy that keeps the timeline from some, their clicks are refused."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine
from bot.core.policy import decide
from bot.core.policy_file import load_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import SlackBot, build_bot
from bot.slack.views.pages import OLDER_ACTION
from bot.timeline_store import TimelineStore
from tests.slack.conftest import ALICE, DAVE, ApprovalClock, MakeBot, RunningBot
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SECRET
from tests.slack.test_pages import ask, buttons, click_page, seed_incident

POLICY = load_policy(
    "groups:\n  oncall: [U_ALICE, U_BOB]\n"
    "rules:\n"
    "  - commands: [help, nodes, jobs]\n    allow: ['*']\n"
    "  - commands: [timeline]\n    allow: [oncall]\n"
)
"""Everyone may list jobs; only on-call may read timelines."""


@pytest.fixture(name="make_bot")
def fixture_make_bot(fake_slack: FakeSlack, connection: Redis, approval_clock: ApprovalClock) -> MakeBot:
    """The real app against the fake Slack, under :data:`POLICY` (the ``running`` fixture serves it)."""

    def make(**options: Any) -> SlackBot:
        settings = Settings(
            redis_url="unused: the connection is passed in",
            slack_bot_token=Secret("xoxb-test-token"),
            slack_signing_secret=Secret(SECRET),
            slack_api_url=fake_slack.url,
        )
        engine = Engine(
            policy=POLICY,
            jobs=RQDispatcher(connection),
            approvals=ApprovalStore(connection, clock=approval_clock),
            timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY),
            default_cluster="default",
        )
        return build_bot(settings, connection=connection, engine=engine, **options)

    return make


@pytest.mark.redis
def test_someone_who_may_not_read_the_timeline_is_refused_privately_and_the_page_stays(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Alice's page, Dave's click: the policy's refusal goes to Dave alone and the message is not edited."""
    incident = seed_incident(connection)
    ts, first = ask(running, fake_slack, f"timeline {incident}", user=ALICE)
    older = buttons(first.body["blocks"])[OLDER_ACTION]
    click_page(
        running,
        user=DAVE,
        message_ts=str(first.answer["ts"]),
        thread_ts=ts,
        action_id=OLDER_ACTION,
        value=older,
    )
    [refusal] = fake_slack.wait_for("chat.postEphemeral")
    expected = decide(
        POLICY, user=DAVE, command="timeline", channel="C_OPS", namespace=None, cluster="default"
    )
    assert not expected.allowed
    assert (refusal.body["user"], refusal.text) == (DAVE, expected.reason)
    assert fake_slack.calls("chat.update") == []

    click_page(
        running,
        user=ALICE,
        message_ts=str(first.answer["ts"]),
        thread_ts=ts,
        action_id=OLDER_ACTION,
        value=older,
    )
    [turned] = fake_slack.wait_for("chat.update")
    assert turned.body["ts"] == first.answer["ts"]
