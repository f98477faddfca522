"""The console is an honest preview of Slack: for one gated command, the same messages in the same order.

Alice asks for a drain that needs a lead, Bob approves, the drain runs: the Slack thread (the real app,
the fake Web API, a real worker on kubesim's default scenario) and the console (``chatops console``
on its embedded kubesim) show the same messages, counted one by one. A job's card is one message in
both (edited in place in Slack, its edits marked ``↳`` in the console); ids, times and generated pod
names differ between the two runs and are normalised.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from redis import Redis

from kubesim.server import Simulator
from shared.jobs import job_id_for
from tests.bot.test_console import run_console
from tests.slack.conftest import ALICE, BOB, RunningBot
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack
from tests.slack.test_plans import fixture_sim, words, work

pytestmark = [pytest.mark.redis, pytest.mark.slow]

__all__ = ["fixture_sim"]

COMMAND = "drain node-2 --force --delete-emptydir-data"
CARD = ("card", "")


def normalised(text: str) -> str:
    """The first line of a message, without what differs from run to run (ids, times, pod suffixes)."""
    line = text.splitlines()[0] if text else ""
    line = re.sub(r"job-[0-9a-f]{10}", "JOB", line)
    line = re.sub(r"apr-[0-9a-f]{10}", "APR", line)
    line = re.sub(r"\d\d:\d\d UTC", "TIME", line)
    return re.sub(r"-[a-z0-9]{5}(?=[,\s.)]|$)", "-POD", line)


def slack_thread(fake_slack: FakeSlack, ts: str) -> list[tuple[str, str]]:
    """The messages of the thread, in order: a job card is a card, anything else its first line."""

    def kind(call: Call) -> tuple[str, str]:
        return CARD if "Updated <!date^" in words(call) else ("message", normalised(call.text))

    return [kind(call) for call in fake_slack.calls("chat.postMessage") if call.body.get("thread_ts") == ts]


def console_thread(out: str) -> list[tuple[str, str]]:
    """The messages the console printed in thread #1, in order: a job's first event is its card."""
    said = []
    for line in out.splitlines():
        found = re.match(r"^  \[#1\] (\w+): (.*)$", line)
        if found is None:
            continue  # a continuation line, an edit of a card (↳), or an answer only one person sees
        kind, text = found.groups()
        said.append(CARD if kind == "started" else ("message", normalised(text)))
    return said


def test_the_console_shows_the_messages_of_the_slack_thread_in_the_same_order(
    sim: Simulator, running: RunningBot, fake_slack: FakeSlack, connection: Redis, tmp_path: Path
) -> None:
    """Planning, the request with its plan, the approval, queued, the card, the warnings, the outcome."""
    del sim
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {COMMAND}", user=ALICE, ts=ts, kind="app_mention")
    )
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    work(connection)
    fake_slack.wait_for(
        "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts and "blocks" in call.body
    )
    running.slack.send_event(
        running.slack.message_event(
            "approve", user=BOB, ts=running.slack.new_ts(), thread_ts=ts, parent_user_id=ALICE
        )
    )
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.text.startswith(f"Queued `{job_id}`"))
    work(connection)
    fake_slack.wait_for("chat.postMessage", where=lambda call: f"`{job_id}` succeeded" in call.text)
    time.sleep(1.0)  # the cards flush every 0.3 s: anything still owed is posted by now
    result = run_console(f"{COMMAND}\n/as bob\n#1 approve\n", tmp_path)
    assert result.returncode == 0, result.stderr
    slack, console = slack_thread(fake_slack, ts), console_thread(result.stdout)
    assert console == slack, (console, slack)
    assert slack.count(CARD) == 1
    assert len(slack) == 8, slack
