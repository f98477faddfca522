"""The timeline's own consumer group on the job events bus: an event is acknowledged only once recorded.

A timeline store that refuses writes (an ACL taking them away, on a real Redis) delays entries and
loses none; an event redelivered after its append (the acknowledgement was lost) is recorded once.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis

from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.events import EventGroup
from bot.observability import PrometheusObserver
from bot.timeline_recorder import TIMELINE_GROUP
from bot.timeline_store import TimelineStore, channel_stream
from bot.wiring import build_recorder
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent
from tests.support.timeline_outage import TimelineOutage, recorder_user

pytestmark = pytest.mark.redis


@pytest.fixture(name="admin")
def fixture_admin(redis_url: str) -> Iterator[Redis]:
    """A client of the emptied test database, with every permission."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(name="recorder_url")
def fixture_recorder_url(admin: Redis, redis_url: str) -> Iterator[tuple[str, TimelineOutage]]:
    """The URL the recorder connects with, and the switch that makes its timeline writes fail."""
    with recorder_user(admin, redis_url) as user:
        yield user


def publish(connection: Redis, *texts: str, job_id: str = "job-1") -> list[JobEvent]:
    """Progress events of one job in C_OPS, published on the bus as workers do."""
    events = []
    for index, text in enumerate(texts):
        event = JobEvent(
            job_id=job_id,
            kind=EventKind.PROGRESS,
            text=text,
            channel="C_OPS",
            thread_ts="1.1",
            at=1_800_000_000.0 + index,
            user="U_ALICE",
            cluster="default",
        )
        fields: dict[Any, Any] = dict(event.to_fields())
        connection.xadd(EVENTS_STREAM, fields)
        events.append(event)
    return events


def recorded(admin: Redis) -> list[str]:
    """The summaries of the job entries on C_OPS's timeline, in stored order."""
    store = TimelineStore(admin, key=DEMO_CHAIN_KEY)
    return [chained.entry.summary for chained in store.entries(channel_stream("C_OPS"))]


def pending(admin: Redis) -> int:
    """Events the timeline's group was given and has not acknowledged."""
    summary: Any = admin.xpending(EVENTS_STREAM, TIMELINE_GROUP)
    return int(summary["pending"])


def test_every_event_on_the_bus_is_recorded_once_and_acknowledged(admin: Redis) -> None:
    """Events published before the recorder first started are recorded too; the same event twice, once."""
    _, second = publish(admin, "evicted web-1", "evicted web-2")
    fields: dict[Any, Any] = dict(second.to_fields())
    admin.xadd(EVENTS_STREAM, fields)  # published twice (a worker's retry)
    recorder = build_recorder(admin, consumer="bot-1")
    assert recorder.drain()
    assert recorded(admin) == ["evicted web-1", "evicted web-2"]
    assert pending(admin) == 0


def test_a_failing_timeline_store_delays_entries_and_loses_none(
    admin: Redis, recorder_url: tuple[str, TimelineOutage]
) -> None:
    """Appends refused by Redis leave the events unacknowledged; once writes work again, all are there."""
    url, outage = recorder_url
    observer = PrometheusObserver()
    recorder = build_recorder(Redis.from_url(url), consumer="bot-1", observer=observer)
    publish(admin, "evicted web-1", "evicted web-2")
    assert recorder.drain()
    outage.begin()
    publish(admin, "evicted web-3", "evicted web-4", "evicted web-5")
    assert not recorder.drain()
    assert not recorder.drain()  # tried again while the store still fails: nothing is given up
    assert recorded(admin) == ["evicted web-1", "evicted web-2"]
    assert pending(admin) == 3
    outage.end()
    assert recorder.drain()
    assert recorded(admin) == [f"evicted web-{n}" for n in range(1, 6)]
    assert pending(admin) == 0
    assert observer.registry.get_sample_value("chatops_timeline_append_failures_total") == 2
    assert observer.registry.get_sample_value("chatops_timeline_events_recorded_total") == 5
    store = TimelineStore(admin, key=DEMO_CHAIN_KEY)
    scope = store.scope(channel="C_OPS")
    assert scope is not None
    assert store.export(scope).report.ok


def test_an_event_redelivered_after_its_append_is_recorded_once(
    admin: Redis, recorder_url: tuple[str, TimelineOutage]
) -> None:
    """The recorder appended but could not acknowledge (as if it died in between): a restarted recorder
    gets the same events again and records nothing twice."""
    url, outage = recorder_url
    publish(admin, "evicted web-1", "evicted web-2", "evicted web-3")
    outage.lost_acks()
    assert not build_recorder(Redis.from_url(url), consumer="bot-1").drain()
    assert pending(admin) == 3
    outage.end()
    restarted = build_recorder(Redis.from_url(url), consumer="bot-1")
    assert restarted.drain()
    assert pending(admin) == 0
    assert collections.Counter(recorded(admin)) == {f"evicted web-{n}": 1 for n in range(1, 4)}


def test_events_a_dead_recorder_left_are_taken_over_by_the_running_one(admin: Redis) -> None:
    """A recorder (a pod since replaced) read two events and died before recording them; the running
    recorder of another name takes them over once they have waited ``claim_after_ms``."""
    publish(admin, "evicted web-1", "evicted web-2")
    EventGroup(admin, group=TIMELINE_GROUP, consumer="pod-a", start="0").read()
    survivor = build_recorder(admin, consumer="pod-b", claim_after_ms=100)
    survivor.start()
    try:
        wait_for(lambda: recorded(admin) == ["evicted web-1", "evicted web-2"], what="the taken-over events")
        wait_for(lambda: pending(admin) == 0, what="their acknowledgements")
    finally:
        survivor.stop()


def test_the_recorder_thread_catches_up_after_an_outage(
    admin: Redis, recorder_url: tuple[str, TimelineOutage]
) -> None:
    """Running in its thread, the recorder retries on its own and the entries arrive, in order."""
    url, outage = recorder_url
    recorder = build_recorder(Redis.from_url(url), consumer="bot-1", retry_seconds=0.05)
    outage.begin()
    recorder.start()
    try:
        publish(admin, "a", "b", "c")
        wait_for(lambda: pending(admin) >= 1, what="the first event handed to the recorder")
        time.sleep(0.2)  # a few failed tries
        assert recorded(admin) == []
        outage.end()
        wait_for(lambda: recorded(admin) == ["a", "b", "c"], what="the entries after the outage")
        wait_for(lambda: pending(admin) == 0, what="the acknowledgements")
    finally:
        recorder.stop()


def wait_for(predicate: Callable[[], bool], *, what: str, seconds: float = 10.0) -> None:
    """Poll until ``predicate()`` holds, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)
