"""A :pushpin: on a message puts it on the incident timeline, at the time it was written."""

from __future__ import annotations

from redis import Redis

from bot.timeline_store import TimelineStore, channel_stream
from tests.slack.conftest import ALICE, BOB, RunningBot
from tests.slack.fake_slack import FakeSlack
from tests.slack.observe import wait_until


def notes(connection: Redis) -> list[dict[str, object]]:
    """The notes on the ops channel's own timeline."""
    store = TimelineStore(connection)
    entries = [chained.entry.to_json() for chained in store.entries(channel_stream("C_OPS"))]
    return [entry for entry in entries if entry["kind"] == "note"]


def test_a_pinned_message_becomes_a_note_with_its_original_time(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Bob pins Alice's message: the note carries her words (escaped), her message's time, and who pinned it."""
    ts = "1600000000.000100"
    fake_slack.messages[("C_OPS", ts)] = {"ts": ts, "user": ALICE, "text": "p99 at 4s since 07:58 <!channel>"}
    event = {
        "type": "reaction_added",
        "user": BOB,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": "C_OPS", "ts": ts},
        "event_ts": running.slack.new_ts(),
    }
    status, _ = running.slack.send_event(event)
    assert status == 200
    wait_until(lambda: len(notes(connection)) == 1, what="the pinned note")
    [note] = notes(connection)
    assert note["at"] == 1600000000.0001
    assert note["summary"] == "p99 at 4s since 07:58 &lt;!channel&gt;"
    assert note["details"] == {"pinned_by": BOB}


def test_other_reactions_are_ignored(running: RunningBot, fake_slack: FakeSlack, connection: Redis) -> None:
    """A :tada: is acknowledged and changes nothing; a :pushpin: sent after it is the only note."""
    for ts, reaction in (("1600000000.000200", "tada"), ("1600000000.000300", "pushpin")):
        fake_slack.messages[("C_OPS", ts)] = {"ts": ts, "user": ALICE, "text": f"message {reaction}"}
        event = {
            "type": "reaction_added",
            "user": BOB,
            "reaction": reaction,
            "item": {"type": "message", "channel": "C_OPS", "ts": ts},
            "event_ts": running.slack.new_ts(),
        }
        status, _ = running.slack.send_event(event)
        assert status == 200
    wait_until(lambda: len(notes(connection)) == 1, what="the pinned note")
    assert [note["summary"] for note in notes(connection)] == ["message pushpin"]
    assert [call.body["ts"] for call in fake_slack.calls("conversations.replies")] == ["1600000000.000300"]
