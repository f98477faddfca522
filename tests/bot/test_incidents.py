"""Incidents, notes and the timeline as people use them from chat."""

from __future__ import annotations

import json

import fakeredis
import pytest
from redis import Redis

from bot.core.conversation import Engine, Message, Reply
from bot.core.pages import PAGE_SIZE, PageCursor, PageKind
from bot.core.policy_file import demo_policy
from bot.wiring import build_engine
from shared.messages import timeline as timeline_messages

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


def test_an_unknown_incident_is_a_clear_error(engine: Engine) -> None:
    """timeline inc-99 when there is no such incident."""
    [reply] = say(engine, "timeline inc-99", ts="1.1", user=DAVE)
    assert reply.ephemeral
    assert "inc-99" in reply.text


SECRET_NOTE = "the db password is in vault path kv/checkout"


def incident_with_a_note(engine: Engine) -> None:
    """inc-1, opened and noted in C_OPS, then closed."""
    say(engine, "incident open checkout errors", ts="1700000000.000001")
    say(engine, f"note {SECRET_NOTE}", ts="1700000060.000001")
    say(engine, "incident close", ts="1700000120.000001")


def asked_elsewhere(engine: Engine, text: str, *, channel: str) -> Reply:
    """``text`` typed by Dave (who may read timelines) in ``channel``; its one reply."""
    [reply] = engine.handle(Message(user=DAVE, channel=channel, ts="1700000180.000001", text=text))
    return reply


@pytest.mark.parametrize(
    "text", ["timeline inc-1 --export md", "timeline inc-1 --export json", "timeline inc-1"]
)
@pytest.mark.parametrize("channel", ["C_OTHER", "D_DAVE"], ids=["another channel", "a DM"])
def test_an_incident_timeline_is_refused_outside_its_channel_revealing_nothing(
    engine: Engine, text: str, channel: str
) -> None:
    """Shown or exported from anywhere but the channel it was opened in: a refusal, no entry, no title."""
    incident_with_a_note(engine)
    reply = asked_elsewhere(engine, text, channel=channel)
    assert reply.ephemeral
    assert (reply.file, reply.view) == (None, None)
    assert reply.text == timeline_messages.incident_elsewhere(incident_id="inc-1")
    for secret in (SECRET_NOTE, "checkout errors", "C_OPS", ALICE):
        assert secret not in reply.text


def test_turning_a_page_of_an_incident_timeline_from_another_channel_is_refused(engine: Engine) -> None:
    """An Older click carrying inc-1's cursor, in another channel: the same refusal, no page."""
    incident_with_a_note(engine)
    cursor = PageCursor(kind=PageKind.TIMELINE, incident="inc-1", offset=PAGE_SIZE)
    reply = engine.read(cursor, user=DAVE, user_groups=frozenset(), channel="C_OTHER")
    assert reply.ephemeral
    assert reply.view is None
    assert reply.text == timeline_messages.incident_elsewhere(incident_id="inc-1")


def test_an_incident_timeline_is_still_read_in_its_own_channel(engine: Engine) -> None:
    """In C_OPS, where inc-1 was opened, the same command shows it."""
    incident_with_a_note(engine)
    reply = asked_elsewhere(engine, "timeline inc-1", channel="C_OPS")
    assert not reply.ephemeral
    assert SECRET_NOTE in reply.text
