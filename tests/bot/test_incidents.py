"""Incidents, notes and the timeline as people use them from chat."""

from __future__ import annotations

import json

import fakeredis
import pytest
from redis import Redis

from bot.core.conversation import Engine, Message, Reply
from bot.core.jobevents import EventKind, JobEvent
from bot.core.policy_file import demo_policy
from bot.wiring import build_engine

ALICE, DAVE = "U_ALICE", "U_DAVE"


@pytest.fixture(name="engine")
def fixture_engine() -> Engine:
    """The engine on an in-memory Redis under the demo policy."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return build_engine(policy=demo_policy(), connection=connection, cluster="default")


def say(engine: Engine, text: str, *, ts: str, user: str = ALICE) -> list[Reply]:
    """One message in the ops channel."""
    return engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text))


def test_an_incident_collects_notes_and_commands_until_it_is_closed(engine: Engine) -> None:
    """Entries made while an incident is open go to it; the export shows them with a verified chain."""
    [opened] = say(engine, "incident open checkout errors", ts="1700000000.000001")
    assert "inc-1" in opened.text
    say(engine, "note rolled back web at 10:02", ts="1700000060.000001")
    say(engine, "cordon node-3", ts="1700000120.000001")
    say(engine, "incident close", ts="1700000180.000001")
    [export] = say(engine, "timeline inc-1 --export md", ts="1700000240.000001", user=DAVE)
    assert export.file is not None
    assert export.file.filename == "inc-1.md"
    for fragment in ("checkout errors", "rolled back web at 10:02", "cordon node/node-3"):
        assert fragment in export.file.content


def test_a_note_keeps_the_time_its_message_was_written(engine: Engine) -> None:
    """The note's entry carries the message's own timestamp, not the time it was processed."""
    say(engine, "note pager fired", ts="1600000000.000001")
    [export] = say(engine, "timeline --export json", ts="1700000000.000002", user=DAVE)
    assert export.file is not None
    document = json.loads(export.file.content)
    [note] = [entry for entry in document["entries"] if entry["kind"] == "note"]
    assert note["at"] == pytest.approx(1600000000.000001)


def test_opening_a_second_incident_in_the_channel_is_refused(engine: Engine) -> None:
    """One incident at a time per channel; the open one is named."""
    say(engine, "incident open first", ts="1.1")
    [again] = say(engine, "incident open second", ts="1.2")
    assert again.ephemeral
    assert "first" in again.text


def test_closing_without_an_open_incident_says_so(engine: Engine) -> None:
    """incident close with nothing open is a clear answer."""
    [reply] = say(engine, "incident close", ts="1.1")
    assert reply.ephemeral


def test_job_events_reported_by_workers_are_recorded_once(engine: Engine) -> None:
    """The same worker event recorded twice (two bot processes, a retry) appears once."""
    event = JobEvent(
        job_id="job-1",
        kind=EventKind.STARTED,
        text="started",
        channel="C_OPS",
        thread_ts="1.1",
        at=1.5,
        user=ALICE,
    )
    engine.record_job_events([event, event])
    [export] = say(engine, "timeline --export json", ts="1.9", user=DAVE)
    assert export.file is not None
    entries = json.loads(export.file.content)["entries"]
    assert [entry["kind"] for entry in entries].count("job_started") == 1


def test_an_unknown_incident_is_a_clear_error(engine: Engine) -> None:
    """timeline inc-99 when there is no such incident."""
    [reply] = say(engine, "timeline inc-99", ts="1.1", user=DAVE)
    assert reply.ephemeral
    assert "inc-99" in reply.text
