"""Redis loses all its data while the bot runs (a restart without AOF, a FLUSHALL): the bot recovers.

Every consumer group is gone then, and a reader that only tried again would answer ``NOGROUP`` forever
while Slack kept being told 200. Each reader recreates its group instead, and the bot's liveness says
whether its runner still reads the inbox, not merely whether a port is open.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from bot.events import EventGroup, GroupEventFeed
from bot.slack.ingress.inbox_runner import InboxRunner
from bot.timeline_recorder import TIMELINE_GROUP
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent
from tests.slack.conftest import ALICE, MakeBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.signed import SlackSender
from tests.slack.test_bot_process import fixture_bot_process, runners_of, status_of
from tests.support.redis_server import running_redis

pytestmark = [pytest.mark.redis, pytest.mark.slow]

__all__ = ["fixture_bot_process"]  # the real ``chatops bot``, shared with the runner drill


def answered(fake_slack: FakeSlack, ts: str) -> bool:
    """Whether the bot posted in the thread of the mention sent at ``ts``."""
    return any(str(call.body.get("thread_ts") or "") == ts for call in fake_slack.calls("chat.postMessage"))


def test_after_redis_lost_everything_a_new_mention_is_answered(
    bot_process: tuple[subprocess.Popen[bytes], str], fake_slack: FakeSlack, redis_url: str
) -> None:
    """FLUSHALL under a running ``chatops bot``: the next mention is answered, and /healthz is 200."""
    _process, base = bot_process
    sender = SlackSender(base + "/slack/events", response_url=fake_slack.response_url)

    def mention() -> str:
        ts = sender.new_ts()
        event = sender.message_event(f"<@{BOT_USER}> jobs", user=ALICE, ts=ts, kind="app_mention")
        status, _ = sender.send_event(event)
        assert status == 200
        return ts

    before = mention()
    wait_until(lambda: answered(fake_slack, before), timeout=30, what="the first mention's answer")
    Redis.from_url(redis_url).flushall()
    after = mention()
    wait_until(lambda: answered(fake_slack, after), timeout=30, what="an answer after the data loss")
    wait_until(lambda: status_of(base + "/healthz") == 200, timeout=30, what="the bot to be healthy")


def test_the_bots_health_is_its_runners_not_its_open_port(
    bot_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    """A runner that stopped working (SIGSTOP) makes the bot's /healthz 503 for the liveness probe."""
    process, base = bot_process
    wait_until(lambda: status_of(base + "/healthz") == 200, timeout=30, what="the bot to be healthy")
    wait_until(lambda: len(runners_of(process.pid)) == 1, timeout=30, what="a runner")
    [runner] = runners_of(process.pid)
    os.kill(runner, signal.SIGSTOP)
    try:
        wait_until(lambda: status_of(base + "/healthz") == 503, timeout=30, what="/healthz to fail")
    finally:
        os.kill(runner, signal.SIGCONT)
    wait_until(lambda: status_of(base + "/healthz") == 200, timeout=30, what="the bot to be healthy again")


def test_the_cards_and_the_timeline_recorder_groups_are_recreated(redis_url: str) -> None:
    """Both consumer groups of the job events bus read what was written after the loss, not NOGROUP."""
    connection = Redis.from_url(redis_url)
    cards = GroupEventFeed(connection, consumer="bot-1")
    recorder = EventGroup(connection, group=TIMELINE_GROUP, consumer="bot-1")
    assert cards.read() == [] and recorder.read() == []
    connection.flushall()
    event = JobEvent(
        job_id="job-1", kind=EventKind.STARTED, text="started", channel="C1", thread_ts="", at=1.0
    )
    connection.xadd(EVENTS_STREAM, dict[Any, Any](event.to_fields()))
    assert [e.job_id for e in cards.read()] == ["job-1"]
    assert [item.event.job_id for item in recorder.read() if item.event is not None] == ["job-1"]


def test_a_runner_that_cannot_read_its_inbox_is_not_alive(make_bot: MakeBot, tmp_path: Path) -> None:
    """Not alive before its first read; alive while it reads; not once Redis stops answering; alive again
    when Redis is back (the reader survives a Redis that is away, at start as later)."""
    bot = make_bot()
    with running_redis(tmp_path) as server:
        runner = InboxRunner(Redis.from_url(server.url, socket_timeout=1), bot.app, block_ms=100)
        assert not runner.alive()
        runner.start()
        try:
            wait_until(lambda: runner.alive(within=2.0), timeout=10, what="the runner to read")
            server.stop(kill=True)
            wait_until(lambda: not runner.alive(within=2.0), timeout=15, what="the runner to be seen dead")
            server.start()
            wait_until(lambda: runner.alive(within=2.0), timeout=30, what="the runner to read again")
        finally:
            runner.stop()
