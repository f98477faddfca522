"""Job cards: one message per job, updated in place and coalesced, details in the thread, nothing lost."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from redis import Redis

from bot.slack.app import build_web_client
from bot.slack.ingress.server import ServerThread
from bot.slack.posting.cards import INTERVAL_GROWTH, CardRenderer
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent
from tests.slack.conftest import MakeBot, RunningBot
from tests.slack.fake_slack import Call, FakeSlack
from tests.support.clocks import ManualClock
from tests.support.drills import Family, Tally
from tests.support.ports import free_port

JOB, CHANNEL, THREAD = "job-0123456789", "C_OPS", "1700000000.000100"
CARD_METHODS = ("chat.postMessage", "chat.update")


class ListSource:
    """Job events handed over by the test, read in order like the stream."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """The oldest ``count`` events not read yet."""
        del block_ms
        taken, self.events = self.events[:count], self.events[count:]
        return taken


def event(kind: EventKind, text: str, *, job_id: str = JOB, channel: str = CHANNEL) -> JobEvent:
    """One job event in the request's thread."""
    return JobEvent(job_id=job_id, kind=kind, text=text, channel=channel, thread_ts=THREAD, at=time.time())


def renderer(
    fake_slack: FakeSlack, clock: ManualClock, *, interval: float = 3.0, retries: int = 0
) -> tuple[CardRenderer, ListSource]:
    """A renderer on a hand-fed source, talking to the fake Slack."""
    source = ListSource()
    client = build_web_client(token="xoxb-test", base_url=fake_slack.url, rate_limit_retries=retries)
    return CardRenderer(
        client=client, source=source, interval=interval, retry_seconds=1.0, clock=clock
    ), source


def card_calls(fake_slack: FakeSlack) -> list[Call]:
    """The successful postMessage and update calls, in order."""
    return [call for call in fake_slack.calls() if call.method in CARD_METHODS and call.accepted]


def test_the_first_event_posts_the_card_in_the_requests_thread(fake_slack: FakeSlack) -> None:
    """started: one chat.postMessage with blocks, in the thread of the request."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    source.events.append(event(EventKind.STARTED, "`job-0123456789` started: cordon node/node-3."))
    cards.step(block_ms=None)
    [post] = fake_slack.calls("chat.postMessage")
    assert (post.body["channel"], post.body["thread_ts"]) == (CHANNEL, THREAD)
    assert "started: cordon node/node-3" in post.body["blocks"][0]["text"]["text"]
    assert "reply_broadcast" not in post.body


def test_a_job_no_chat_message_started_has_no_card(fake_slack: FakeSlack) -> None:
    """A scheduled backup's events (no channel) make no Slack call: they belong on the timeline only."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    source.events.extend(
        [
            event(EventKind.STARTED, "started: etcd snapshot", channel=""),
            event(EventKind.SUCCEEDED, "etcd snapshot saved", channel=""),
        ]
    )
    cards.step(block_ms=None)
    assert card_calls(fake_slack) == []
    assert cards.pending == 0


def test_two_hundred_progress_events_are_coalesced_into_a_few_updates_ending_in_the_final_state(
    fake_slack: FakeSlack,
) -> None:
    """A 20-second drain reporting 200 pods: under 10 calls in all, the last update showing success."""
    clock = ManualClock(1000.0)
    cards, source = renderer(fake_slack, clock)
    source.events.append(event(EventKind.STARTED, "started"))
    for pod in range(1, 201):
        source.events.append(event(EventKind.PROGRESS, f"evicted {pod}/200"))
        cards.step(block_ms=None)
        clock.now += 0.1
    source.events.append(event(EventKind.SUCCEEDED, "`job-0123456789` succeeded."))
    cards.step(block_ms=None)
    calls = fake_slack.calls()
    assert len(calls) < 10
    posts = fake_slack.calls("chat.postMessage")
    updates = fake_slack.calls("chat.update")
    assert len(posts) == 2  # the card, then the broadcast result
    assert 2 <= len(updates) <= 1 + 20 / 3
    assert all(update.body["ts"] == posts[0].answer["ts"] for update in updates)
    assert "succeeded" in updates[-1].body["text"]
    assert posts[-1].body["reply_broadcast"] is True
    assert posts[-1].text == "`job-0123456789` succeeded."
    assert cards.pending == 0


def test_updates_of_one_card_get_further_apart_as_the_job_goes_on(fake_slack: FakeSlack) -> None:
    """With a 1 s interval and steady progress, the card waits 1 s, then each gap is half as long again."""
    clock = ManualClock(1000.0)
    cards, source = renderer(fake_slack, clock, interval=1.0)
    sent_at: list[float] = []
    for step in range(100):
        source.events.append(event(EventKind.PROGRESS, f"step {step}"))
        before = len(card_calls(fake_slack))
        cards.step(block_ms=None)
        if len(card_calls(fake_slack)) > before:
            sent_at.append(clock.now)
        clock.now += 0.1
    gaps = [round(later - earlier, 1) for earlier, later in itertools.pairwise(sent_at)]
    assert gaps[0] == 1.0
    assert all(
        later >= round(earlier * INTERVAL_GROWTH, 1) - 0.1 for earlier, later in itertools.pairwise(gaps)
    )


def test_warnings_and_plans_are_posted_in_the_thread_as_they_come(fake_slack: FakeSlack) -> None:
    """Step details people must read are thread replies, not only the card's latest line."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    source.events += [
        event(EventKind.STARTED, "started"),
        event(EventKind.PLAN, "will evict 3 pods"),
        event(EventKind.WARNING, "pod web-1 has local storage that will be lost"),
    ]
    cards.step(block_ms=None)
    texts = [call.text for call in fake_slack.calls("chat.postMessage")]
    assert texts[1:] == ["will evict 3 pods", "pod web-1 has local storage that will be lost"]


@pytest.mark.drill(Family.SLACK_429)
def test_a_rate_limit_storm_puts_calls_off_and_loses_no_final_state(
    fake_slack: FakeSlack, drill: Tally
) -> None:
    """Slack answers 429 to the next 6 calls: the card, the last state and the result all arrive after it."""
    clock = ManualClock(1000.0)
    cards, source = renderer(fake_slack, clock)
    source.events.append(event(EventKind.STARTED, "started"))
    cards.step(block_ms=None)
    fake_slack.rate_limit(calls=6, retry_after=0)
    source.events += [event(EventKind.PROGRESS, f"evicted {pod}/50") for pod in range(1, 51)]
    source.events.append(event(EventKind.FAILED, "`job-0123456789` failed: budget exhausted"))
    for _ in range(20):
        cards.step(block_ms=None)
        clock.now += 1.0
    count_storm(fake_slack, drill, final="failed: budget exhausted")
    assert len([call for call in fake_slack.calls() if call.status == 429]) == 6
    assert "failed: budget exhausted" in fake_slack.calls("chat.update")[-1].body["text"]
    assert fake_slack.calls("chat.postMessage")[-1].body["reply_broadcast"] is True
    assert cards.pending == 0


def test_a_card_slack_refuses_for_good_is_dropped_without_blocking_others(fake_slack: FakeSlack) -> None:
    """A card for a channel that no longer exists is given up; another job's card still goes out."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    source.events += [
        event(EventKind.STARTED, "started", job_id="job-gone", channel="C_GONE1"),
        event(EventKind.STARTED, "started"),
    ]
    cards.step(block_ms=None)
    [post] = fake_slack.calls("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert cards.pending == 1


def count_storm(fake_slack: FakeSlack, drill: Tally, *, final: str) -> None:
    """Report one Slack 429 storm: the final state missing from the card or a result not broadcast once."""
    shown = [call for call in fake_slack.calls("chat.update") if call.status == 200]
    results = [call for call in fake_slack.calls("chat.postMessage") if call.body.get("reply_broadcast")]
    drill.tried(Family.SLACK_429)
    drill.lost(Family.SLACK_429, int(not shown or final not in shown[-1].body["text"]) + int(not results))
    drill.duplicated(Family.SLACK_429, len(results) - 1)


def publish(connection: Redis, events: list[JobEvent], *, pause: float = 0.0) -> None:
    """XADD job events to the stream as a worker does, optionally a little apart."""
    for item in events:
        fields: dict[Any, Any] = dict(item.to_fields())
        connection.xadd(EVENTS_STREAM, fields)
        if pause:
            time.sleep(pause)


@pytest.mark.redis
def test_job_events_on_the_stream_become_one_card_updated_in_place_then_a_broadcast_result(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """200 progress events published over about a second: one card, a few updates, the final state broadcast."""
    events = [event(EventKind.STARTED, "started")]
    events += [event(EventKind.PROGRESS, f"evicted {pod}/200") for pod in range(1, 201)]
    events.append(event(EventKind.SUCCEEDED, "`job-0123456789` succeeded."))
    publish(connection, events, pause=0.005)
    fake_slack.wait_for("chat.postMessage", where=lambda call: bool(call.body.get("reply_broadcast")))
    calls = card_calls(fake_slack)
    assert len(calls) < 10
    assert [call.method for call in calls].count("chat.postMessage") == 2
    assert "succeeded" in fake_slack.calls("chat.update")[-1].body["text"]


@pytest.mark.drill(Family.SLACK_429)
@pytest.mark.redis
def test_a_slack_429_storm_during_progress_updates_loses_no_final_state(
    make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """The client retries after Retry-After, the renderer puts off what still fails: the result arrives."""
    bot = make_bot(card_interval=0.2, card_retry_seconds=0.1, rate_limit_retries=1)
    with ServerThread(bot.asgi, port=free_port()):
        bot.cards.start()
        try:
            publish(connection, [event(EventKind.STARTED, "started")])
            fake_slack.wait_for("chat.postMessage")
            fake_slack.rate_limit(calls=5, retry_after=0)
            progress = [event(EventKind.PROGRESS, f"evicted {pod}/200") for pod in range(1, 201)]
            feeder = threading.Thread(target=publish, args=(connection, progress), kwargs={"pause": 0.002})
            feeder.start()
            feeder.join()
            publish(connection, [event(EventKind.SUCCEEDED, "`job-0123456789` succeeded.")])
            fake_slack.wait_for("chat.postMessage", where=lambda call: bool(call.body.get("reply_broadcast")))
        finally:
            bot.cards.stop()
    count_storm(fake_slack, drill, final="succeeded")
    assert len([call for call in fake_slack.calls() if call.status == 429]) == 5
    assert "succeeded" in fake_slack.calls("chat.update")[-1].body["text"]
