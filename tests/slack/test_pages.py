"""Reading in Slack: ``timeline`` and ``jobs`` as Block Kit pages that Older / Newer turn in place."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
from redis import Redis

from bot.core.pages import PAGE_SIZE, PageCursor, PageItem, PageKind, ReadingPage
from bot.core.timeline import Entry, EntryKind
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.slack.views.blocks import HEADER_LIMIT, SECTION_LIMIT
from bot.slack.views.pages import MAX_BLOCKS, NEWER_ACTION, OLDER_ACTION, page_blocks
from bot.timeline_store import TimelineStore
from shared.messages import pages as page_messages
from tests.slack.conftest import ALICE, RunningBot
from tests.slack.fake_slack import BOT_USER, TEAM, Call, FakeSlack
from tests.slack.signed import post


def buttons(blocks: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The paging buttons of a page: action id to value."""
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def entry_sections(blocks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The text of each entry section (every section of a page is one entry)."""
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def click_page(
    running: RunningBot, *, user: str, message_ts: str, thread_ts: str, action_id: str, value: str
) -> int:
    """Click a paging button on the bot's message, as Slack sends it; the HTTP status."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": running.slack.channel,
            "is_ephemeral": False,
            "thread_ts": thread_ts,
        },
        "channel": {"id": running.slack.channel},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "text": "page"},
        "response_url": running.slack.response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "page:x",
                "value": value,
                "action_ts": f"{int(time.time())}.000001",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status, _ = post(running.slack.events_url, body, content_type="application/x-www-form-urlencoded")
    return status


def ask(running: RunningBot, fake_slack: FakeSlack, command: str, *, user: str = ALICE) -> tuple[str, Call]:
    """Mention the bot with ``command``; the command's ts and the page the bot posted in its thread."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=user, ts=ts, kind="app_mention")
    )
    [answer] = fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    return ts, answer


def updates(fake_slack: FakeSlack, count: int) -> list[Call]:
    """Wait for ``count`` chat.update calls; all of them, oldest first."""
    return fake_slack.wait_for("chat.update", count=count)


def seed_incident(connection: Redis) -> str:
    """Open an incident in #ops with 25 entries: its opening and 24 notes, a second apart; its id."""
    store = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    start = time.time() - 100
    incident, _ = store.open_incident(channel="C_OPS", title="checkout errors", actor=ALICE, at=start)
    for n in range(1, 25):
        store.append(
            Entry(
                at=start + n,
                actor=ALICE,
                kind=EntryKind.NOTE,
                summary=f"note number {n}",
                channel="C_OPS",
                incident_id=incident.incident_id,
                event_id=f"note-{n}",
            )
        )
    return incident.incident_id


@pytest.fixture(name="incident")
def fixture_incident(connection: Redis) -> str:
    """An incident in #ops with 25 entries; its id."""
    return seed_incident(connection)


@pytest.mark.redis
def test_a_timeline_of_25_entries_pages_back_with_older_and_forward_with_newer(
    running: RunningBot, fake_slack: FakeSlack, incident: str
) -> None:
    """Page 1 holds the 10 newest and Older; clicking it edits the message to 11–20, then 21–25 ends it."""
    ts, first = ask(running, fake_slack, f"timeline {incident}")
    blocks = first.body["blocks"]
    assert first.text  # the plain answer stays as the notification text
    assert blocks[0]["type"] == "header"
    assert [text.split("note number ")[-1] for text in entry_sections(blocks)] == [
        str(n) for n in range(15, 25)
    ]
    assert set(buttons(blocks)) == {OLDER_ACTION}
    message_ts = str(first.answer["ts"])

    older = buttons(blocks)[OLDER_ACTION]
    assert (
        click_page(
            running, user=ALICE, message_ts=message_ts, thread_ts=ts, action_id=OLDER_ACTION, value=older
        )
        == 200
    )
    [second] = updates(fake_slack, 1)
    assert (second.body["channel"], second.body["ts"]) == ("C_OPS", message_ts)
    page_2 = second.body["blocks"]
    assert [text.split("note number ")[-1] for text in entry_sections(page_2)] == [
        str(n) for n in range(5, 15)
    ]
    assert set(buttons(page_2)) == {OLDER_ACTION, NEWER_ACTION}
    assert second.text == page_messages.page_fallback(
        title=page_messages.timeline_title(scope=f"incident {incident} (checkout errors)"), number=2, shown=10
    )

    click_page(
        running,
        user=ALICE,
        message_ts=message_ts,
        thread_ts=ts,
        action_id=OLDER_ACTION,
        value=buttons(page_2)[OLDER_ACTION],
    )
    page_3 = updates(fake_slack, 2)[-1].body["blocks"]
    assert len(entry_sections(page_3)) == 5
    assert "Incident opened: checkout errors" in entry_sections(page_3)[0]
    assert set(buttons(page_3)) == {NEWER_ACTION}

    click_page(
        running,
        user=ALICE,
        message_ts=message_ts,
        thread_ts=ts,
        action_id=NEWER_ACTION,
        value=buttons(page_3)[NEWER_ACTION],
    )
    assert updates(fake_slack, 3)[-1].body["blocks"] == page_2


@pytest.mark.redis
def test_a_forged_page_value_is_not_read_but_answered_privately(
    running: RunningBot, fake_slack: FakeSlack, incident: str
) -> None:
    """A value that is no cursor (or points at another list's field) changes nothing."""
    ts, first = ask(running, fake_slack, f"timeline {incident}")
    forged = json.dumps({"k": "timeline", "o": 10, "c": "prod"})
    click_page(
        running,
        user=ALICE,
        message_ts=str(first.answer["ts"]),
        thread_ts=ts,
        action_id=OLDER_ACTION,
        value=forged,
    )
    [answer] = fake_slack.wait_for("chat.postEphemeral")
    assert answer.text == page_messages.page_gone()
    assert fake_slack.calls("chat.update") == []


@pytest.mark.redis
def test_jobs_page_back_from_the_ten_newest(running: RunningBot, fake_slack: FakeSlack) -> None:
    """Twelve cordons queued: page 1 shows ten and Older, page 2 the other two and only Newer."""
    for n in range(12):
        ask(running, fake_slack, f"cordon node-{n}")
    ts, first = ask(running, fake_slack, "jobs")
    blocks = first.body["blocks"]
    assert len(entry_sections(blocks)) == PAGE_SIZE
    assert set(buttons(blocks)) == {OLDER_ACTION}
    click_page(
        running,
        user=ALICE,
        message_ts=str(first.answer["ts"]),
        thread_ts=ts,
        action_id=OLDER_ACTION,
        value=buttons(blocks)[OLDER_ACTION],
    )
    page_2 = updates(fake_slack, 1)[0].body["blocks"]
    assert len(entry_sections(page_2)) == 2
    assert all("cordon node/node-" in text for text in entry_sections(page_2))
    assert set(buttons(page_2)) == {NEWER_ACTION}
    shown = {text.split("cordon node/")[1] for text in entry_sections(blocks) + entry_sections(page_2)}
    assert shown == {f"node-{n}" for n in range(12)}


def page_of(items: int, *, what: str = "x", offset: int = 0, has_older: bool = True) -> ReadingPage:
    """A timeline page of ``items`` entries saying ``what``."""
    return ReadingPage(
        title="T" * 500,
        items=tuple(PageItem(when="10:00:00", actor=ALICE, what=what) for _ in range(items)),
        cursor=PageCursor(kind=PageKind.TIMELINE, offset=offset),
        size=max(items, 1),
        has_older=has_older,
        empty="nothing",
    )


def test_a_page_never_exceeds_fifty_blocks_and_says_how_many_it_left_off() -> None:
    """200 entries on one page: 50 blocks at most, the buttons kept, the rest counted."""
    blocks = page_blocks(page_of(200, offset=200))
    assert len(blocks) <= MAX_BLOCKS
    assert set(buttons(blocks)) == {OLDER_ACTION, NEWER_ACTION}
    hidden = 200 - len(entry_sections(blocks))
    assert any(page_messages.page_cut(hidden=hidden) in str(block) for block in blocks)


def test_long_entries_and_titles_are_cut_to_slacks_limits() -> None:
    """A 10,000-character entry fits a section; a 500-character title fits the header."""
    blocks = page_blocks(page_of(3, what="y" * 10_000))
    assert all(len(text) <= SECTION_LIMIT for text in entry_sections(blocks))
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT


def test_the_newest_page_without_older_entries_has_no_buttons() -> None:
    """Nothing to turn to: no actions block at all."""
    assert buttons(page_blocks(page_of(3, has_older=False))) == {}


def test_an_empty_page_says_so() -> None:
    """No entries: the page's own sentence instead of an empty list."""
    blocks = page_blocks(page_of(0, has_older=False))
    assert entry_sections(blocks) == ["nothing"]


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[]",
        json.dumps({"k": "nodes", "o": 0}),
        json.dumps({"k": "jobs", "o": -10}),
        json.dumps({"k": "jobs", "o": True}),
        json.dumps({"k": "jobs", "o": 10**9}),
        json.dumps({"k": "timeline", "o": 0, "i": "<!channel>"}),
        json.dumps({"k": "jobs", "o": 0, "i": "INC-1"}),
        json.dumps({"k": "timeline", "o": 0, "c": "prod"}),
        json.dumps({"k": "jobs", "o": 0, "x": 1}),
    ],
)
def test_a_button_value_that_is_not_a_page_cursor_reads_as_none(value: str) -> None:
    """Clicks are never trusted: anything but a well-formed cursor is refused."""
    assert PageCursor.decode(value) is None


def test_a_cursor_survives_its_button() -> None:
    """What a button carries decodes to the same cursor, small enough for Slack's 2000 characters."""
    cursor = PageCursor(kind=PageKind.JOBS, offset=20, cluster="prod-eu")
    assert PageCursor.decode(cursor.encode()) == cursor
    assert len(cursor.encode()) < 100
