"""Job events reach the bot once each, even across a restart of the bot (real Redis)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from redis import Redis

from bot.events import GroupEventFeed
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """This test's emptied real Redis."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def publish(connection: Redis, text: str) -> None:
    """A worker's event."""
    event = JobEvent(
        job_id="job-1", kind=EventKind.PROGRESS, text=text, channel="C1", thread_ts="1.1", at=time.time()
    )
    connection.xadd(EVENTS_STREAM, dict(event.to_fields()))  # type: ignore[arg-type]


def texts(events: list[JobEvent]) -> list[str]:
    """What the events said."""
    return [event.text for event in events]


def test_a_restarted_bot_gets_back_what_it_had_not_finished_and_then_the_rest(connection: Redis) -> None:
    """Events read but not handled before a crash come again; handled ones never do."""
    feed = GroupEventFeed(connection, consumer="bot-1")
    publish(connection, "one")
    publish(connection, "two")
    assert texts(feed.read()) == ["one", "two"]
    publish(connection, "three")
    assert texts(feed.read()) == ["three"]  # "one" and "two" are acknowledged by this read
    # The bot dies here, before handling "three"; it comes back with the same name.
    publish(connection, "four")
    again = GroupEventFeed(connection, consumer="bot-1")
    assert texts(again.read()) == ["three"]
    assert texts(again.read()) == ["four"]
    assert texts(again.read()) == []


def test_two_bot_processes_share_the_events_without_duplicates(connection: Redis) -> None:
    """Each event goes to one consumer of the group."""
    first = GroupEventFeed(connection, consumer="bot-1")
    second = GroupEventFeed(connection, consumer="bot-2")
    for index in range(10):
        publish(connection, f"e{index}")
    seen = texts(first.read(count=4)) + texts(second.read(count=100)) + texts(first.read(count=100))
    assert sorted(seen) == sorted(f"e{index}" for index in range(10))


def test_events_left_by_a_consumer_that_is_gone_are_taken_over(connection: Redis) -> None:
    """A replaced bot pod (another name) picks up what the old one never acknowledged."""
    old = GroupEventFeed(connection, consumer="bot-old")
    publish(connection, "orphaned")
    assert texts(old.read()) == ["orphaned"]
    new = GroupEventFeed(connection, consumer="bot-new", claim_after_ms=0)
    assert texts(new.read()) == ["orphaned"]
