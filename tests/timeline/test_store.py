"""The timeline on a real Redis: scoping by incident, paging, idempotent appends, exports, retention."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest
from redis import Connection, ConnectionPool, Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from bot.core.timeline import ChainedEntry, Entry, EntryKind, export_markdown
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import Retention, TimelineStore, channel_stream, incident_stream

pytestmark = pytest.mark.redis

T0 = 1_800_000_000.0


@pytest.fixture(name="redis")
def fixture_redis(redis_url: str) -> Iterator[Redis]:
    """A client of the emptied test database."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def note(text: str, *, at: float = T0, channel: str = "C1", event_id: str | None = None) -> Entry:
    """A note by U0ALICE in ``channel``."""
    entry = Entry(at=at, actor="U0ALICE", kind=EntryKind.NOTE, summary=text, channel=channel)
    return entry if event_id is None else dataclasses.replace(entry, event_id=event_id)


def summaries(entries: list[ChainedEntry]) -> list[str]:
    """The one-line summaries of ``entries``."""
    return [chained.entry.summary for chained in entries]


def test_pages_go_from_the_latest_entry_back_to_the_first(redis: Redis) -> None:
    """Twenty-five entries read as pages of ten, newest first, until no older ones remain."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    for index in range(25):
        store.append(note(f"n{index}", at=T0 + index))
    stream = channel_stream("C1")
    first = store.page(stream, count=10)
    assert summaries(first.entries) == [f"n{index}" for index in range(24, 14, -1)]
    assert first.older_before is not None
    second = store.page(stream, count=10, before=first.older_before)
    assert summaries(second.entries) == [f"n{index}" for index in range(14, 4, -1)]
    assert second.older_before is not None
    last = store.page(stream, count=10, before=second.older_before)
    assert summaries(last.entries) == [f"n{index}" for index in range(4, -1, -1)]
    assert last.older_before is None


def test_an_open_incident_takes_the_channels_entries_until_it_is_closed(redis: Redis) -> None:
    """Entries go to the channel, then the incident (stamped with its id), then the channel again."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY, clock=lambda: T0)
    store.append(note("before"))
    incident, created = store.open_incident(channel="C1", title="API latency", actor="U0ALICE")
    assert created
    again, created_again = store.open_incident(channel="C1", title="other", actor="U0BOB")
    assert (again, created_again) == (incident, False)
    during = store.append(note("during"))
    store.append(note("elsewhere", channel="C2"))
    closed = store.close_incident(channel="C1", actor="U0BOB")
    assert closed is not None and (closed.closed_by, closed.closed_at) == ("U0BOB", T0)
    assert store.close_incident(channel="C1", actor="U0BOB") is None
    store.append(note("after"))
    assert during.stream == incident_stream(incident.incident_id)
    inside = list(store.entries(incident_stream(incident.incident_id)))
    assert [entry.entry.kind for entry in inside] == [
        EntryKind.INCIDENT_OPENED,
        EntryKind.NOTE,
        EntryKind.INCIDENT_CLOSED,
    ]
    assert {entry.entry.incident_id for entry in inside} == {incident.incident_id}
    assert summaries(list(store.entries(channel_stream("C1")))) == ["before", "after"]
    assert summaries(list(store.entries(channel_stream("C2")))) == ["elsewhere"]


def test_the_timeline_command_finds_the_open_incident_or_the_channel(redis: Redis) -> None:
    """Without an id: the open incident, else the channel; an unknown id is None."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    channel_scope = store.scope(channel="C1")
    assert channel_scope is not None and channel_scope.stream == channel_stream("C1")
    incident, _ = store.open_incident(channel="C1", title="API latency", actor="U0ALICE")
    open_scope = store.scope(channel="C1")
    assert open_scope is not None and open_scope.incident == incident
    store.close_incident(channel="C1", actor="U0ALICE")
    by_id = store.scope(channel="C9", incident_id=incident.incident_id)
    assert by_id is not None and by_id.stream == incident_stream(incident.incident_id)
    assert store.scope(channel="C1", incident_id="inc-404") is None


def test_a_retried_append_is_recorded_once(redis: Redis) -> None:
    """The same event id appended twice (a retry after a timeout) makes one entry."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    first = store.append(note("job started", event_id="evt-1"))
    retry = store.append(note("job started", event_id="evt-1"))
    assert (first.duplicate, retry.duplicate) == (False, True)
    assert (retry.stream, retry.seq) == (first.stream, first.seq)
    assert len(list(store.entries(channel_stream("C1")))) == 1


def test_concurrent_appenders_keep_one_unbroken_chain(redis_url: str) -> None:
    """Eight writers on their own connections extend the chain one link at a time."""
    barrier = threading.Barrier(8)

    def write(writer: int) -> None:
        connection = Redis.from_url(redis_url)
        store = TimelineStore(connection, key=DEMO_CHAIN_KEY)
        barrier.wait()
        for index in range(25):
            store.append(note(f"w{writer}-{index}"))
        connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    reader = Redis.from_url(redis_url)
    store = TimelineStore(reader, key=DEMO_CHAIN_KEY)
    scope = store.scope(channel="C1")
    assert scope is not None
    export = store.export(scope)
    assert export.report.ok
    assert [chained.seq for chained in export.entries] == list(range(1, 201))
    reader.close()


def test_a_note_keeps_the_time_it_was_written(redis: Redis) -> None:
    """A pinned message from an hour ago is stored with its own time, and exported in time order."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    store.append(note("later", at=T0 + 3600))
    store.append(note("pinned from earlier", at=T0))
    scope = store.scope(channel="C1")
    assert scope is not None
    (latest, _) = store.page(scope.stream, count=2).entries
    assert latest.entry.at == T0
    text = export_markdown(store.export(scope))
    assert text.index("pinned from earlier") < text.index("later")


def test_the_export_reads_every_entry_in_batches_and_verifies_the_chain(redis: Redis) -> None:
    """An export longer than one batch is complete, ordered and verified."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    for index in range(250):
        store.append(note(f"n{index}", at=T0 + index))
    entries = list(store.entries(channel_stream("C1"), batch=100))
    assert [chained.seq for chained in entries] == list(range(1, 251))
    scope = store.scope(channel="C1")
    assert scope is not None
    assert store.export(scope).report.ok


def rewrite_stream(
    redis: Redis, stream: str, *, drop_seq: int | None = None, alter_seq: int | None = None
) -> None:
    """Tamper with a stream behind the store's back: rewrite it, dropping or altering one entry."""
    raw = cast("list[tuple[bytes, dict[bytes, bytes]]]", redis.xrange(stream))
    redis.delete(stream)
    for entry_id, fields in raw:
        seq = int(fields[b"seq"])
        if seq == drop_seq:
            continue
        stored: dict[FieldT, EncodableT] = dict(fields.items())
        if seq == alter_seq:
            stored[b"body"] = fields[b"body"].replace(b"n2", b"nothing happened")
        redis.xadd(stream, stored, id=entry_id)


@pytest.mark.parametrize(
    ("change", "verdict"),
    [({"alter_seq": 3}, "altered entries #3"), ({"drop_seq": 3}, "removed entries #3")],
)
def test_the_export_shows_an_altered_or_removed_entry(
    redis: Redis, change: dict[str, int], verdict: str
) -> None:
    """Tampering in Redis is caught when the timeline is exported."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    for index in range(5):
        store.append(note(f"n{index}", at=T0 + index))
    rewrite_stream(redis, channel_stream("C1"), **change)
    scope = store.scope(channel="C1")
    assert scope is not None
    export = store.export(scope)
    assert not export.report.ok
    assert verdict in export_markdown(export)


def test_retention_trims_each_stream_on_its_own(redis: Redis) -> None:
    """MAXLEN trims the busy channel; the incident's stream keeps everything; both still verify."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY, retention=Retention(max_len=100))
    store.open_incident(channel="C2", title="quiet", actor="U0ALICE")
    for index in range(5):
        store.append(note(f"i{index}", channel="C2"))
    for index in range(600):
        store.append(note(f"n{index}", at=T0 + index))
    channel = store.scope(channel="C1")
    quiet = store.scope(channel="C2")
    assert channel is not None and quiet is not None
    busy_export = store.export(channel)
    assert 100 <= len(busy_export.entries) < 600
    assert busy_export.report.ok and busy_export.report.trimmed == 600 - len(busy_export.entries)
    assert len(store.export(quiet).entries) == 6


def test_retention_by_age_drops_old_entries(redis: Redis) -> None:
    """MINID trimming removes entries older than the configured age."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY, retention=Retention(max_age_seconds=0.02))
    for index in range(300):
        store.append(note(f"old{index}"))
    time.sleep(0.05)
    store.append(note("new"))
    scope = store.scope(channel="C1")
    assert scope is not None
    export = store.export(scope)
    assert summaries(list(export.entries)) == ["new"]
    assert export.report.ok and export.report.trimmed == 300


class CountingConnection(Connection):
    """A connection that counts what it sends: one command, or one pipeline, is one round trip."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)  # type: ignore[no-untyped-call]  # untyped in redis-py


def test_an_append_is_one_round_trip_once_the_head_is_known(redis_url: str) -> None:
    """De-duplication, the open incident, the chain and retention checked and written in one call."""
    client = Redis(connection_pool=ConnectionPool.from_url(redis_url, connection_class=CountingConnection))
    store = TimelineStore(client, key=DEMO_CHAIN_KEY, retention=Retention(max_len=1000, max_age_seconds=3600))
    store.append(note("first"))
    before = CountingConnection.sent
    for index in range(10):
        store.append(note(f"n{index}"))
    assert CountingConnection.sent - before == 10
    client.close()


def test_entries_follow_an_incident_and_a_head_another_process_moved(redis_url: str) -> None:
    """Two bot processes: one opens an incident and appends; the other's next entry still goes to the
    incident, after the other's last link, and the chain verifies."""
    here, there = (TimelineStore(Redis.from_url(redis_url), key=DEMO_CHAIN_KEY) for _ in range(2))
    here.append(note("before"))
    incident, _ = there.open_incident(channel="C1", title="API latency", actor="U0BOB")
    there.append(note("there"))
    appended = here.append(note("here"))
    assert (appended.stream, appended.seq) == (incident_stream(incident.incident_id), 3)
    scope = here.scope(channel="C1")
    assert scope is not None
    export = here.export(scope)
    assert export.report.ok
    assert summaries(list(export.entries))[1:] == ["there", "here"]
    assert {chained.entry.incident_id for chained in export.entries} == {incident.incident_id}


def test_a_failed_append_writes_nothing_and_a_retry_records_it_once(redis: Redis) -> None:
    """A stream key that holds the wrong type fails the append before any write (no head, no
    de-duplication mark); once the key is fixed, the retried event is recorded once."""
    store = TimelineStore(redis, key=DEMO_CHAIN_KEY)
    redis.set(channel_stream("C1"), "not a stream")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        store.append(note("job started", event_id="evt-1"))
    assert redis.hgetall(f"{channel_stream('C1')}:head") == {}
    assert redis.get("chatops:timeline:event:evt-1") is None
    redis.delete(channel_stream("C1"))
    assert not store.append(note("job started", event_id="evt-1")).duplicate
    assert store.append(note("job started", event_id="evt-1")).duplicate
    assert summaries(list(store.entries(channel_stream("C1")))) == ["job started"]
