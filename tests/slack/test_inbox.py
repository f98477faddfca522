"""Slack hears back before any work is done, and what it was told was received is never lost.

The front stores each verified delivery in the Redis inbox and answers; runners take deliveries
from it through a consumer group. These tests separate the two: the front alone, then a runner
starting later, or taking over from a runner that died holding a delivery.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine
from bot.core.policy_file import demo_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import SlackBot, build_bot
from bot.slack.ingress.front import EVENTS_PATH, build_front
from bot.slack.ingress.inbox import INBOX_STREAM, RUNNER_GROUP, Inbox, delivery_from_fields
from bot.slack.ingress.inbox_runner import InboxRunner
from bot.slack.ingress.server import ServerThread
from bot.slack.metrics import FrontMetrics
from bot.timeline_store import TimelineStore
from shared.jobs import JobSpec, Submission, job_id_for
from shared.messages import slack as slack_messages
from tests.slack.conftest import ALICE, MakeBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.signed import SECRET, SlackSender, event_body, post
from tests.support.ports import free_port

pytestmark = pytest.mark.redis


@pytest.fixture(name="front_only")
def fixture_front_only(make_bot: MakeBot, fake_slack: FakeSlack) -> Iterator[tuple[SlackBot, SlackSender]]:
    """The app's front served over HTTP with no runner started: deliveries stay in the inbox."""
    bot = make_bot()
    with ServerThread(bot.asgi, port=free_port()) as server:
        yield bot, SlackSender(server.url + EVENTS_PATH, response_url=fake_slack.response_url)


def mention(sender: SlackSender, text: str) -> tuple[str, dict[str, object]]:
    """A signed-to-be mention by Alice, and its ts."""
    ts = sender.new_ts()
    return ts, sender.message_event(f"<@{BOT_USER}> {text}", user=ALICE, ts=ts, kind="app_mention")


def test_a_delivery_is_stored_and_acknowledged_before_anything_runs(
    front_only: tuple[SlackBot, SlackSender], fake_slack: FakeSlack, connection: Redis
) -> None:
    """With no runner, Slack still gets 200 and the mention waits in the inbox; no Slack call is made."""
    _bot, sender = front_only
    _ts, event = mention(sender, "cordon node-3")
    status, body = sender.send_event(event)
    assert (status, body) == (200, b"")
    assert Inbox(connection).depth() == 1
    assert fake_slack.calls("reactions.add") == []
    assert fake_slack.calls("chat.postMessage") == []


def test_a_runner_started_later_handles_what_waited_in_the_inbox(
    front_only: tuple[SlackBot, SlackSender], fake_slack: FakeSlack, connection: Redis
) -> None:
    """Deliveries taken while no runner ran are handled once one starts, then leave the inbox."""
    bot, sender = front_only
    stamps = []
    for node in ("node-1", "node-2"):
        ts, event = mention(sender, f"cordon {node}")
        sender.send_event(event)
        stamps.append(ts)
    bot.runner.start()
    try:
        wait_until(
            lambda: {c.body.get("thread_ts") for c in fake_slack.calls("chat.postMessage")} >= set(stamps)
        )
        wait_until(lambda: Inbox(connection).depth() == 0)
    finally:
        bot.runner.stop()
    replies = [c for c in fake_slack.calls("chat.postMessage") if c.body.get("thread_ts") in stamps]
    assert sorted(str(c.body["thread_ts"]) for c in replies) == sorted(stamps)
    assert all(
        job_id_for(channel="C_OPS", message_ts=ts) in " ".join(c.text for c in replies) for ts in stamps
    )


def test_a_delivery_held_by_a_runner_that_died_is_taken_over_and_handled_once(
    front_only: tuple[SlackBot, SlackSender], fake_slack: FakeSlack, connection: Redis
) -> None:
    """A runner that read a delivery and died never acknowledged it; another runner claims and runs it."""
    bot, sender = front_only
    ts, event = mention(sender, "cordon node-2")
    sender.send_event(event)
    connection.xgroup_create(INBOX_STREAM, RUNNER_GROUP, id="0", mkstream=True)
    taken: Any = connection.xreadgroup(RUNNER_GROUP, "a-runner-that-died", {INBOX_STREAM: ">"}, count=10)
    assert len(taken[0][1]) == 1
    heir = InboxRunner(connection, bot.app, consumer="heir", claim_idle_ms=200, block_ms=100)
    heir.start()
    try:
        fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
        wait_until(lambda: Inbox(connection).depth() == 0)
    finally:
        heir.stop()
    answers = [c for c in fake_slack.calls("chat.postMessage") if c.body.get("thread_ts") == ts]
    assert len(answers) == 1
    assert len(fake_slack.calls("reactions.add")) == 1
    assert connection.xpending(INBOX_STREAM, RUNNER_GROUP)["pending"] == 0


def test_slacks_url_verification_is_answered_by_the_front_and_nothing_is_stored(
    front_only: tuple[SlackBot, SlackSender], connection: Redis
) -> None:
    """The challenge Slack sends when the request URL is set is echoed back."""
    _bot, sender = front_only
    body = json.dumps(
        {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    )
    status, answer = post(sender.events_url, body.encode(), content_type="application/json")
    assert status == 200
    assert json.loads(answer) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert Inbox(connection).depth() == 0


def test_a_badly_signed_delivery_is_refused_and_not_stored(
    front_only: tuple[SlackBot, SlackSender], connection: Redis
) -> None:
    """401 for a forged signature, and the inbox stays empty."""
    _bot, sender = front_only
    status, _ = post(
        sender.events_url,
        b'{"type":"event_callback"}',
        content_type="application/json",
        forged_signature="v0=00",
    )
    assert status == 401
    assert Inbox(connection).depth() == 0


def test_readiness_needs_a_live_runner(front_only: tuple[SlackBot, SlackSender]) -> None:
    """/readyz is 503 until a runner beats its heartbeat, then 200; /healthz only needs Redis."""
    bot, sender = front_only
    base = sender.events_url.removesuffix(EVENTS_PATH)

    def status_of(path: str) -> int:
        try:
            with urllib.request.urlopen(base + path, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    assert (status_of("/healthz"), status_of("/readyz")) == (200, 503)
    bot.runner.start()
    try:
        wait_until(lambda: status_of("/readyz") == 200)
    finally:
        bot.runner.stop()
    assert status_of("/readyz") == 503


def test_a_full_inbox_turns_deliveries_away_with_503_and_keeps_what_it_holds(
    fake_slack: FakeSlack, connection: Redis
) -> None:
    """No runner for a long while: past its limit the front answers 503 (Slack retries) and stores nothing more."""
    front = build_front(signing_secret=SECRET, inbox=Inbox(connection, max_waiting=2), metrics=FrontMetrics())
    with ServerThread(front, port=free_port()) as server:
        sender = SlackSender(server.url + EVENTS_PATH, response_url=fake_slack.response_url)
        statuses = [sender.send_event(mention(sender, f"cordon node-{n}")[1])[0] for n in (1, 2, 3)]
    assert statuses == [200, 200, 503]
    assert Inbox(connection).depth() == 2


class UnreachableQueue(RQDispatcher):
    """The job queue as it behaves while Redis refuses connections: every submit fails."""

    def submit(self, spec: JobSpec) -> Submission:
        """Fail like redis-py does when the server is gone."""
        raise RedisConnectionError("Error 111 connecting to redis:6379. Connection refused.")


def test_a_delivery_that_keeps_failing_is_dropped_after_its_retries_and_its_sender_is_told(
    fake_slack: FakeSlack, connection: Redis
) -> None:
    """Three failed runs: the inbox lets it go, and only Alice hears, in her thread, with a reference."""
    engine = Engine(
        policy=demo_policy(),
        jobs=UnreachableQueue(connection),
        approvals=ApprovalStore(connection),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY),
        default_cluster="default",
    )
    settings = Settings(
        slack_bot_token=Secret("xoxb-test-token"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake_slack.url,
    )
    bot = build_bot(settings, connection=connection, engine=engine)
    sender = SlackSender("http://unused", response_url=fake_slack.response_url)
    ts, event = mention(sender, "cordon node-1")
    Inbox(connection).put(event_body(event, event_id="Ev1"), {"content-type": "application/json"})
    connection.xgroup_create(INBOX_STREAM, RUNNER_GROUP, id="0")
    entries: Any = connection.xreadgroup(RUNNER_GROUP, "runner", {INBOX_STREAM: ">"})
    [(entry_id, fields)] = entries[0][1]
    delivery = delivery_from_fields(entry_id, fields)

    assert bot.runner.handle(delivery) == 500

    [told] = fake_slack.calls("chat.postEphemeral")
    assert (told.body["user"], told.body["channel"], told.body["thread_ts"]) == (ALICE, "C_OPS", ts)
    assert told.text == slack_messages.delivery_failed(reference=delivery.id)
    assert "Traceback" not in told.text and "Error 111" not in told.text
    assert Inbox(connection).depth() == 0
    assert fake_slack.calls("chat.postMessage") == []


def test_a_runner_restarted_under_its_name_finishes_everything_its_predecessor_held(
    front_only: tuple[SlackBot, SlackSender], fake_slack: FakeSlack, connection: Redis
) -> None:
    """Five deliveries held by `pod-a` when it died, more than one read takes: the new `pod-a` runs all five."""
    bot, sender = front_only
    stamps = []
    for node in range(5):
        ts, event = mention(sender, f"cordon node-{node % 3 + 1}")
        sender.send_event(event)
        stamps.append(ts)
    connection.xgroup_create(INBOX_STREAM, RUNNER_GROUP, id="0", mkstream=True)
    connection.xreadgroup(RUNNER_GROUP, "pod-a", {INBOX_STREAM: ">"}, count=10)
    successor = InboxRunner(
        connection, bot.app, consumer="pod-a", threads=2, claim_idle_ms=600_000, block_ms=100
    )
    successor.start()
    try:
        wait_until(lambda: Inbox(connection).depth() == 0, what="every held delivery to be done")
    finally:
        successor.stop()
    answered = [c.body.get("thread_ts") for c in fake_slack.calls("chat.postMessage")]
    assert sorted(str(ts) for ts in answered if ts in stamps) == sorted(stamps)
