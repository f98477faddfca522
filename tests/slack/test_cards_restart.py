"""Job cards survive a bot restart: the new process edits the card already posted and finishes what was owed."""

from __future__ import annotations

import json

import pytest
from redis import Redis

from bot.slack.app import build_web_client
from bot.slack.posting.card_store import CardStore
from bot.slack.posting.cards import CardRenderer
from shared.jobevents import EventKind
from tests.slack.conftest import MakeBot
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.test_cards import JOB, ListSource, event, publish
from tests.support.clocks import ManualClock

pytestmark = pytest.mark.redis


def cards_posted(fake_slack: FakeSlack) -> list[Call]:
    """The postMessage calls that posted a job card (not thread replies or the broadcast result)."""
    return [
        call
        for call in fake_slack.calls("chat.postMessage")
        if f"card:{JOB}" in json.dumps(call.body.get("blocks"))
    ]


def broadcast(call: Call) -> bool:
    """True for the result broadcast to the channel."""
    return bool(call.body.get("reply_broadcast"))


def stored_renderer(
    fake_slack: FakeSlack, connection: Redis, *, retries: int = 0
) -> tuple[CardRenderer, ListSource]:
    """A renderer writing through to the card store on the test's Redis, fed by hand."""
    source = ListSource()
    client = build_web_client(token="xoxb-test", base_url=fake_slack.url, rate_limit_retries=retries)
    renderer = CardRenderer(
        client=client,
        source=source,
        interval=3.0,
        retry_seconds=1.0,
        clock=ManualClock(1000.0),
        store=CardStore(connection),
    )
    return renderer, source


def test_a_second_renderer_on_the_same_redis_updates_the_card_the_first_one_posted(
    fake_slack: FakeSlack, connection: Redis
) -> None:
    """The first process posts the card; the next one gets the final event and edits that same message."""
    first, first_source = stored_renderer(fake_slack, connection)
    first_source.events.append(event(EventKind.STARTED, "started"))
    first.step(block_ms=None)
    [card] = cards_posted(fake_slack)
    second, second_source = stored_renderer(fake_slack, connection)
    second_source.events.append(event(EventKind.SUCCEEDED, "`job-0123456789` succeeded."))
    second.step(block_ms=None)
    [update] = fake_slack.calls("chat.update")
    assert update.body["ts"] == card.answer["ts"]
    assert "succeeded" in update.text
    assert len(cards_posted(fake_slack)) == 1
    assert [call.text for call in fake_slack.calls("chat.postMessage") if broadcast(call)] == [
        "`job-0123456789` succeeded."
    ]


def test_a_final_state_slack_refused_before_the_restart_is_sent_by_the_next_process_on_start(
    fake_slack: FakeSlack, connection: Redis
) -> None:
    """Slack is down when the job ends; the bot restarts: the new one takes the card over and finishes it."""
    first, source = stored_renderer(fake_slack, connection)
    source.events.append(event(EventKind.STARTED, "started"))
    first.step(block_ms=None)
    fake_slack.rate_limit(calls=2, retry_after=0)
    source.events.append(event(EventKind.SUCCEEDED, "`job-0123456789` succeeded."))
    first.step(block_ms=None)
    assert fake_slack.calls("chat.update") == []
    fake_slack.rate_limit(calls=0)
    second, _ = stored_renderer(fake_slack, connection)
    second.resume()
    second.step(block_ms=None)
    [update] = fake_slack.calls("chat.update")
    assert update.body["ts"] == cards_posted(fake_slack)[0].answer["ts"]
    assert "succeeded" in update.text
    assert any(broadcast(call) for call in fake_slack.calls("chat.postMessage"))
    assert second.pending == 0
    assert CardStore(connection).unfinished() == []


def test_a_bot_built_again_mid_job_edits_the_same_card_to_the_final_state(
    make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """The bot stops after the card is posted; the job goes on and ends; a new bot shows the end on that card."""
    first = make_bot(card_interval=0.2, card_retry_seconds=0.1)
    first.cards.start()
    try:
        publish(connection, [event(EventKind.STARTED, "started")])
        [card] = fake_slack.wait_for("chat.postMessage")
    finally:
        first.cards.stop()
    publish(connection, [event(EventKind.PROGRESS, f"evicted {pod}/50") for pod in range(1, 51)])
    publish(connection, [event(EventKind.SUCCEEDED, "`job-0123456789` succeeded.")])
    second = make_bot(card_interval=0.2, card_retry_seconds=0.1)
    second.cards.start()
    try:
        fake_slack.wait_for("chat.postMessage", where=broadcast)
    finally:
        second.cards.stop()
    updates = fake_slack.calls("chat.update")
    assert {update.body["ts"] for update in updates} == {card.answer["ts"]}
    assert "succeeded" in updates[-1].text
    assert cards_posted(fake_slack) == [card]
