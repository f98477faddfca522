"""A delivery run again after its runner died finishes its work: replies already in Slack are not repeated.

Each test runs one stored delivery through the runner, then puts Redis back in the state a runner
killed at a given moment would have left (the reply marked as being sent, the message's claim still
held by the delivery), and runs the same delivery again.
"""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis

from bot.slack.app import build_web_client
from bot.slack.ingress.dedupe import KEY_PREFIX as CLAIM_PREFIX
from bot.slack.ingress.inbox import INBOX_STREAM, Delivery, Inbox, delivery_from_fields
from bot.slack.ingress.reply_ledger import SENDING, SENT, ReplyLedger, in_thread, reply_metadata
from tests.slack.conftest import ALICE, MakeBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.signed import SlackSender, event_body

pytestmark = pytest.mark.redis


def stored_mention(connection: Redis, *, text: str, ts: str) -> Delivery:
    """A mention by Alice as the front stores it in the inbox."""
    sender = SlackSender("http://unused", response_url="http://unused")
    event = sender.message_event(f"<@{BOT_USER}> {text}", user=ALICE, ts=ts, kind="app_mention")
    Inbox(connection).put(event_body(event, event_id="Ev1"), {"content-type": "application/json"})
    entries: Any = connection.xrange(INBOX_STREAM)
    entry_id, fields = entries[-1]
    return delivery_from_fields(entry_id, fields)


def answers_in(fake_slack: FakeSlack, thread: str) -> list[str]:
    """The texts the bot posted in ``thread``."""
    return [
        call.text for call in fake_slack.calls("chat.postMessage") if call.body.get("thread_ts") == thread
    ]


def as_if_killed_before_recording(connection: Redis, delivery: Delivery, *, ts: str) -> None:
    """Redis as a runner killed after asking Slack to post reply 0, before hearing back, leaves it."""
    connection.set(f"{CLAIM_PREFIX}:C_OPS:{ts}", delivery.id)
    ReplyLedger(connection).mark(delivery.id, 0, SENDING)


def test_a_reply_slack_already_has_is_not_posted_again(
    make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """The thread holds the reply (found by its metadata): the second run posts nothing new."""
    bot = make_bot()
    ts = "1700000000.000100"
    delivery = stored_mention(connection, text="cordon node-3", ts=ts)
    bot.runner.handle(delivery)
    [first] = answers_in(fake_slack, ts)
    as_if_killed_before_recording(connection, delivery, ts=ts)
    bot.runner.handle(delivery)
    assert answers_in(fake_slack, ts) == [first]
    assert ReplyLedger(connection).state(delivery.id, 0) == SENT


def test_a_reply_slack_never_got_is_posted_on_the_second_run(
    make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Marked as being sent but absent from the thread: it is sent, once."""
    bot = make_bot()
    ts = "1700000000.000200"
    delivery = stored_mention(connection, text="cordon node-3", ts=ts)
    as_if_killed_before_recording(connection, delivery, ts=ts)
    bot.runner.handle(delivery)
    assert len(answers_in(fake_slack, ts)) == 1
    assert ReplyLedger(connection).state(delivery.id, 0) == SENT


def test_a_delivery_run_to_the_end_is_not_run_again(
    make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Killed after finishing but before leaving the inbox: the second run finds the work done."""
    bot = make_bot()
    ts = "1700000000.000300"
    delivery = stored_mention(connection, text="cordon node-3", ts=ts)
    bot.runner.handle(delivery)
    bot.runner.handle(delivery)
    assert len(answers_in(fake_slack, ts)) == 1
    assert len(fake_slack.calls("reactions.add")) == 1


def test_a_reply_is_found_in_its_thread_by_delivery_and_number(fake_slack: FakeSlack) -> None:
    """Metadata names a reply exactly: another number or delivery is not it."""
    client = build_web_client(token="xoxb-test", base_url=fake_slack.url)
    client.chat_postMessage(
        channel="C_OPS", thread_ts="1700000000.000400", text="hi", metadata=reply_metadata("1-0", 0)
    )
    where = {"channel": "C_OPS", "thread_ts": "1700000000.000400"}
    assert in_thread(client, **where, delivery="1-0", index=0)
    assert not in_thread(client, **where, delivery="1-0", index=1)
    assert not in_thread(client, **where, delivery="2-0", index=0)
