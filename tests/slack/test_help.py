"""``help`` in Slack: what this person may run, each with a runnable example, as blocks."""

from __future__ import annotations

import json

import pytest

from bot.core.policy import allowed_commands
from bot.core.policy_file import demo_policy
from bot.slack.views.blocks import SECTION_LIMIT
from bot.slack.views.pages import MAX_BLOCKS, help_blocks
from shared.grammar import parse
from shared.messages.conversation import HELP_WIDTH, help_text
from shared.messages.usage import AREAS
from shared.reference import command_reference, help_sheet
from tests.slack.conftest import DAVE, RunningBot
from tests.slack.fake_slack import BOT_USER, FakeSlack


@pytest.mark.redis
def test_a_viewers_help_lists_only_what_they_may_run_each_with_an_example(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """Dave sees the read-only commands by area, and no drain."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> help", user=DAVE, ts=ts, kind="app_mention")
    )
    [answer] = fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    shown = json.dumps(answer.body["blocks"])
    allowed = set(allowed_commands(demo_policy(), user=DAVE, channel="C_OPS", cluster="default"))
    assert answer.text  # the plain list stays as the notification text
    for entry in command_reference():
        assert (f"`{entry.short_usage}`" in shown) == (entry.name in allowed), entry.name
    assert "drain" not in allowed
    assert all(len(line) <= HELP_WIDTH for line in answer.text.splitlines())


def test_every_example_runs_as_the_command_it_illustrates() -> None:
    """Examples are commands, not prose: each parses to its own command."""
    for entry in command_reference():
        assert parse(entry.example).name == entry.name


def test_help_for_someone_allowed_everything_stays_within_slacks_limits() -> None:
    """All commands: at most 50 blocks, sections under 3000 characters of lines of at most 80, every command shown."""
    names = [entry.name for entry in command_reference()]
    blocks = help_blocks(help_sheet(allowed=names, topic=None))
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    assert all(len(line) <= HELP_WIDTH for text in sections for line in text.splitlines())
    assert all(any(f"`{entry.short_usage}`" in text for text in sections) for entry in command_reference())


def test_help_is_grouped_by_area_one_section_each() -> None:
    """One section per area, in order, each opening with the area's name."""
    names = [entry.name for entry in command_reference()]
    blocks = help_blocks(help_sheet(allowed=names, topic=None))
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert [text.split(":*")[0].strip("*") for text in sections] == list(AREAS)


def test_help_on_a_command_shows_its_usage_and_an_example_as_the_console_does() -> None:
    """``help drain`` in Slack: the usage, an example, the same text as the plain reply."""
    allowed = [entry.name for entry in command_reference()]
    [section] = [
        block
        for block in help_blocks(help_sheet(allowed=allowed, topic="drain"))
        if block["type"] == "section"
    ]
    assert "Usage: `drain NODE" in section["text"]["text"]
    assert "Example: `drain node-1 --delete-emptydir-data --timeout 10m`" in section["text"]["text"]
    assert section["text"]["text"] == help_text(allowed=allowed, topic="drain")


def test_help_on_a_topic_shows_it_even_when_not_allowed_and_says_so() -> None:
    """``help drain`` for a viewer: the command, its example, and that they may not run it here."""
    allowed = allowed_commands(demo_policy(), user=DAVE, channel="C_OPS", cluster="default")
    [section] = [
        block
        for block in help_blocks(help_sheet(allowed=allowed, topic="drain"))
        if block["type"] == "section"
    ]
    assert "drain node-1" in section["text"]["text"]
    assert "may not run it here" in section["text"]["text"]


def test_someone_allowed_nothing_is_told_so() -> None:
    """No command at all: one sentence, no empty header."""
    [block] = help_blocks(help_sheet(allowed=(), topic=None))
    assert "may not run any command" in block["text"]["text"]
