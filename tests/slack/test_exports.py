"""Timeline exports in Slack: shared whole as a file in the thread, or shown in a code block if that fails."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from slack_sdk import WebClient

from bot.core.timeline import Entry, EntryKind, export_markdown
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.slack.posting.uploads import send_bytes, upload_to_thread
from bot.timeline_store import TimelineStore
from tests.slack.conftest import ALICE, BOB, RunningBot
from tests.slack.fake_slack import BOT_USER, FakeSlack

NOTES = 250
"""Enough notes of 180 characters for a document well past Slack's 40,000-character message limit."""


def incident_with_notes(connection: Redis) -> tuple[str, str]:
    """Open an incident in C_OPS with many long notes; its id and its Markdown export as of now."""
    timeline = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    incident, _ = timeline.open_incident(channel="C_OPS", title="disk pressure on node-3", actor=ALICE)
    now = time.time()
    for number in range(NOTES):
        summary = f"note {number}: " + "kubelet reports DiskPressure, evicting pods. " * 4
        timeline.append(
            Entry(
                at=now + number,
                actor=BOB,
                kind=EntryKind.NOTE,
                summary=summary,
                channel="C_OPS",
                incident_id=incident.incident_id,
            )
        )
    scope = timeline.scope(channel="C_OPS", incident_id=incident.incident_id)
    assert scope is not None
    return incident.incident_id, export_markdown(timeline.export(scope))


def ask_for_export(running: RunningBot, incident_id: str) -> str:
    """Mention the bot with ``timeline INCIDENT --export md``; the ts of that message (the thread)."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(
            f"<@{BOT_USER}> timeline {incident_id} --export md", user=ALICE, ts=ts, kind="app_mention"
        )
    )
    return ts


@pytest.mark.redis
def test_a_long_incident_export_is_shared_whole_as_a_markdown_file_in_the_thread(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """timeline INCIDENT --export md: every byte of a 40,000+ character document arrives, in the thread."""
    incident_id, expected = incident_with_notes(connection)
    assert len(expected) > 40_000
    ts = ask_for_export(running, incident_id)
    fake_slack.wait_for("files.completeUploadExternal")
    [shared] = fake_slack.shared_files()
    assert shared.text == expected
    assert (shared.channel, shared.thread_ts, shared.filename) == ("C_OPS", ts, f"{incident_id}.md")
    assert shared.initial_comment and incident_id in shared.initial_comment
    in_thread = [call for call in fake_slack.calls("chat.postMessage") if call.body.get("thread_ts") == ts]
    assert in_thread == []


@pytest.mark.redis
def test_an_export_falls_back_to_a_code_block_when_slack_refuses_the_upload(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Without files:write the engine's sentence and the document still reach the thread, cut with a note."""
    fake_slack.refuse_uploads = True
    incident_id, _ = incident_with_notes(connection)
    ts = ask_for_export(running, incident_id)
    [export] = fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    assert "\n```\n" in export.text
    assert "characters are shown" in export.text
    assert len(export.text) < 40_000
    assert fake_slack.shared_files() == []


def test_the_announced_length_counts_bytes_so_a_non_ascii_document_completes(fake_slack: FakeSlack) -> None:
    """Umlauts and emoji take several bytes each; Slack checks the bytes received against the length."""
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    document = "# Zeitleiste\n\nKnoten über Grenze 🔥\n" * 100
    assert upload_to_thread(
        client, channel="C_OPS", thread_ts="1.000001", filename="inc-1.md", content=document, comment="Here."
    )
    [shared] = fake_slack.shared_files()
    assert shared.text == document and shared.length == len(document.encode())


def test_an_upload_slack_refuses_reports_failure_and_shares_nothing(fake_slack: FakeSlack) -> None:
    """A token without files:write gets no upload URL; the caller is told, so it can fall back."""
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    fake_slack.refuse_uploads = True
    assert not upload_to_thread(
        client, channel="C_OPS", thread_ts="1.000001", filename="inc-1.md", content="# x", comment="Here."
    )
    assert fake_slack.shared_files() == []
    assert fake_slack.calls("files.completeUploadExternal") == []


def test_bytes_are_only_ever_sent_to_a_web_upload_url(fake_slack: FakeSlack) -> None:
    """Whatever URL comes back, a file: or ftp: one is never opened."""
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    assert not send_bytes("file:///tmp/anything", b"# x", client=client)
    assert not send_bytes("ftp://127.0.0.1/upload", b"# x", client=client)
