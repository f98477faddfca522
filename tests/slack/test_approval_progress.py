"""A request that needs two approvals shows who approved so far, keeps its buttons, and is decided by the second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine
from bot.core.policy_file import load_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import build_bot
from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from bot.timeline_store import TimelineStore
from tests.slack.conftest import BOB, CAROL, RunningBot, serving
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SECRET
from tests.slack.test_approvals import answer, ask, blocks_of, buttons, click, decision_line, queued_job_ids

pytestmark = pytest.mark.redis

TWO_LEADS = """
default_namespace: default
groups:
  oncall: [U_ALICE]
  leads: [U_BOB, U_CAROL]
rules:
  - commands: [scale]
    allow: [oncall]
    approval: {approvers: [leads], count: 2, ttl: 15m}
"""


@pytest.fixture(name="running")
def fixture_running(fake_slack: FakeSlack, connection: Redis) -> Iterator[RunningBot]:
    """The real app over HTTP under a policy where scaling needs both leads."""
    settings = Settings(
        redis_url="unused: the connection is passed in",
        slack_bot_token=Secret("xoxb-test-token"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake_slack.url,
    )
    engine = Engine(
        policy=load_policy(TWO_LEADS),
        jobs=RQDispatcher(connection),
        approvals=ApprovalStore(connection),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY),
        default_cluster="default",
    )
    bot = build_bot(settings, connection=connection, engine=engine, card_interval=0.3, expiry_interval=0.05)
    with serving(bot, fake_slack, connection) as running:
        yield running


def test_the_first_of_two_approvals_shows_one_of_two_with_the_approver_and_keeps_the_buttons(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Bob clicks Approve: the message says "1 of 2 approvals: @bob", Approve and Deny stay, nothing runs."""
    asked = ask(running, fake_slack, "scale web 3")
    click(running, asked, APPROVE_ACTION, user=BOB)
    [edit] = fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    assert set(buttons(edit)) == {APPROVE_ACTION, DENY_ACTION}
    progress = [block["elements"][0]["text"] for block in blocks_of(edit, "context")]
    assert f":ballot_box_with_check: 1 of 2 approvals: <@{BOB}>" in progress
    assert asked.job_id not in queued_job_ids(connection)


def test_the_second_approval_decides_the_request_and_the_buttons_give_way(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Bob clicks, then Carol types approve: the last edit has no buttons, says approved by Carol, the job queues."""
    asked = ask(running, fake_slack, "scale web 3")
    click(running, asked, APPROVE_ACTION, user=BOB)
    fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    answer(running, asked, "approve", user=CAROL)
    edits = fake_slack.wait_for(
        "chat.update",
        where=lambda call: call.body.get("ts") == asked.message_ts and not buttons(call),
    )
    assert decision_line(edits[-1]).startswith(f":white_check_mark: Approved by <@{CAROL}>")
    fake_slack.wait_for("chat.postMessage", where=lambda call: asked.job_id in call.text)
    assert asked.job_id in queued_job_ids(connection)


def test_the_same_approver_twice_is_refused_privately_and_the_message_is_not_edited_again(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """Bob approves twice: one progress edit, and an ephemeral telling him his approval already counts."""
    asked = ask(running, fake_slack, "scale web 3")
    click(running, asked, APPROVE_ACTION, user=BOB)
    fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    answer(running, asked, "approve", user=BOB)
    [refusal] = fake_slack.wait_for("chat.postEphemeral")
    assert refusal.body["user"] == BOB
    assert (
        len([call for call in fake_slack.calls("chat.update") if call.body.get("ts") == asked.message_ts])
        == 1
    )
