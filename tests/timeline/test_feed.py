"""The feed read through a consumer group: a restarted reader resumes without losing or repeating."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.timeline import Entry, EntryKind
from bot.timeline_store import FeedReader, TimelineStore, channel_stream

pytestmark = pytest.mark.redis

T0 = 1_800_000_000.0


@pytest.fixture(name="redis")
def fixture_redis(redis_url: str) -> Iterator[Redis]:
    """A client of the emptied test database."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def append_notes(store: TimelineStore, *names: str) -> None:
    """Append one note per name in channel C1."""
    for name in names:
        store.append(Entry(at=T0, actor="worker", kind=EntryKind.JOB_PROGRESS, summary=name, channel="C1"))


def test_every_append_reaches_the_feed_with_its_stream(redis: Redis) -> None:
    """The reader gets each entry once, with the stream it belongs to."""
    reader = FeedReader(redis, group="chat", consumer="bot-1")
    store = TimelineStore(redis)
    append_notes(store, "a", "b")
    items = reader.read(count=10)
    assert [item.chained.entry.summary for item in items] == ["a", "b"]
    assert {item.stream for item in items} == {channel_stream("C1")}
    reader.ack(items)
    assert reader.read(count=10) == []


def test_a_restarted_reader_resumes_where_it_stopped_without_loss_or_duplicates(redis_url: str) -> None:
    """Items read but not acknowledged before a crash come back first; acknowledged ones never do."""
    before = Redis.from_url(redis_url)
    reader = FeedReader(before, group="chat", consumer="bot-1")
    store = TimelineStore(before)
    append_notes(store, "e1", "e2", "e3", "e4", "e5")
    handled = reader.read(count=3)
    reader.ack(handled)
    in_flight = reader.read(count=2)  # read, then the bot dies before posting and acknowledging
    assert [item.chained.entry.summary for item in in_flight] == ["e4", "e5"]
    before.close()

    after = Redis.from_url(redis_url)
    append_notes(TimelineStore(after), "e6")  # written while the bot was down
    restarted = FeedReader(after, group="chat", consumer="bot-1")
    seen = [item.chained.entry.summary for item in handled]
    while items := restarted.read(count=1):
        seen += [item.chained.entry.summary for item in items]
        restarted.ack(items)
    assert seen == ["e1", "e2", "e3", "e4", "e5", "e6"]
    after.close()


def test_a_new_group_starts_with_new_entries_unless_asked_for_all(redis: Redis) -> None:
    """``$`` skips history (a first deployment does not replay it); ``0`` reads it all."""
    append_notes(TimelineStore(redis), "old")
    FeedReader(redis, group="fresh", consumer="bot-1")
    replay = FeedReader(redis, group="replay", consumer="bot-1", start_at="0")
    append_notes(TimelineStore(redis), "new")
    fresh = FeedReader(redis, group="fresh", consumer="bot-1")
    assert [item.chained.entry.summary for item in fresh.read()] == ["new"]
    assert [item.chained.entry.summary for item in replay.read()] == ["old", "new"]


def test_another_consumer_can_take_over_what_a_vanished_one_left(redis: Redis) -> None:
    """Items a consumer read and never acknowledged are claimed by a successor with another name."""
    gone = FeedReader(redis, group="chat", consumer="pod-a")
    append_notes(TimelineStore(redis), "x1", "x2")
    assert len(gone.read()) == 2
    successor = FeedReader(redis, group="chat", consumer="pod-b")
    claimed = successor.claim_abandoned(min_idle_ms=0)
    assert [item.chained.entry.summary for item in claimed] == ["x1", "x2"]
    successor.ack(claimed)
    assert successor.claim_abandoned(min_idle_ms=0) == []
