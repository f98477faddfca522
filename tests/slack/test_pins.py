"""A :pushpin: on a message puts it on the incident timeline, at the time it was written.

Only for someone the policy's ``note`` rule allows, and only in a channel where the policy accepts
commands: these tests run the demo policy limited to ``C_OPS``.
"""

from __future__ import annotations

from importlib import resources

import pytest
from redis import Redis

from bot.core.policy import Policy
from bot.core.policy_file import load_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import TimelineStore, channel_stream
from tests.slack.conftest import ALICE, BOB, DAVE, RunningBot
from tests.slack.fake_slack import FakeSlack
from tests.slack.observe import wait_until


@pytest.fixture(name="policy")
def fixture_policy() -> Policy:
    """The demo policy (notes by on call: Alice and Bob), accepting commands in C_OPS only."""
    demo = resources.files("bot.policies").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_policy(demo + "\nchannels: [C_OPS]\n", source="demo.yaml, C_OPS only")


def notes(connection: Redis, channel: str = "C_OPS") -> list[dict[str, object]]:
    """The notes on a channel's own timeline."""
    store = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    entries = [chained.entry.to_json() for chained in store.entries(channel_stream(channel))]
    return [entry for entry in entries if entry["kind"] == "note"]


def pin(running: RunningBot, fake_slack: FakeSlack, *, user: str, channel: str, ts: str, text: str) -> None:
    """``user`` reacts with :pushpin: to a message (``text``, by Alice) in ``channel``."""
    fake_slack.messages[(channel, ts)] = {"ts": ts, "user": ALICE, "text": text}
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": running.slack.new_ts(),
    }
    status, _ = running.slack.send_event(event)
    assert status == 200


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


def test_a_pin_by_someone_the_note_rule_refuses_writes_nothing(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Dave (a viewer) may not add notes: his :pushpin: is ignored, the message not even read; Bob's counts."""
    pin(running, fake_slack, user=DAVE, channel="C_OPS", ts="1600000000.000400", text="by dave's pin")
    pin(running, fake_slack, user=BOB, channel="C_OPS", ts="1600000000.000500", text="by bob's pin")
    wait_until(lambda: len(notes(connection)) == 1, what="Bob's note")
    assert [note["summary"] for note in notes(connection)] == ["by bob's pin"]
    assert [call.body["ts"] for call in fake_slack.calls("conversations.replies")] == ["1600000000.000500"]


def test_a_pin_in_a_channel_the_policy_does_not_accept_is_ignored(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Commands are accepted in C_OPS only: Bob's :pushpin: in C_RANDOM makes no note anywhere."""
    pin(running, fake_slack, user=BOB, channel="C_RANDOM", ts="1600000000.000600", text="elsewhere")
    pin(running, fake_slack, user=BOB, channel="C_OPS", ts="1600000000.000700", text="in ops")
    wait_until(lambda: len(notes(connection)) == 1, what="the note in C_OPS")
    assert [note["summary"] for note in notes(connection)] == ["in ops"]
    assert notes(connection, "C_RANDOM") == []
    assert [call.body["channel"] for call in fake_slack.calls("conversations.replies")] == ["C_OPS"]
