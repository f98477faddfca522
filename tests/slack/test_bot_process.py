"""``chatops bot`` as it runs for real: an HTTP front and a runner process, the runner killed at will.

Drill: mentions keep arriving while the runner is killed (SIGKILL) in the middle of them. Slack was
told 200 for every one; every one must be answered in its thread exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.slack.conftest import ALICE
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.signed import SECRET, SlackSender
from tests.support.drills import Family, Tally
from tests.support.policies import DEMO_POLICY_FILE
from tests.support.ports import free_port

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CHATOPS = Path(sys.executable).parent / "chatops"


def runners_of(pid: int) -> list[int]:
    """The pids of ``pid``'s runner processes: its children started by multiprocessing's spawn."""
    return [
        child for child in children_of(pid) if b"spawn_main" in _read_bytes(Path(f"/proc/{child}/cmdline"))
    ]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def children_of(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def gone(pid: int, *, parent: int) -> bool:
    """``pid`` is no longer a runner of ``parent``."""
    return pid not in runners_of(parent)


def status_of(url: str) -> int:
    """The HTTP status ``url`` answers with (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.fixture(name="bot_process")
def fixture_bot_process(
    redis_url: str, fake_slack: FakeSlack
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The real ``chatops bot`` on free ports against the fake Slack and the test's Redis; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.url,
        "REDIS_URL": redis_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RUNNER_PORT": str(free_port()),
        "CHATOPS_POLICY": str(DEMO_POLICY_FILE),
        "CHATOPS_USER_COMMANDS_PER_MINUTE": "1000",  # the drill's bursts are not what it tests
        "CHATOPS_TIMELINE_KEY": "a timeline key for the tests",
        "CHATOPS_CHANNEL_COMMANDS_PER_MINUTE": "1000",
    }
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([str(CHATOPS), "bot"], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: status_of(base + "/readyz") == 200, timeout=60, what="the bot to be ready")
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=30)


KILLS = 2
"""SIGKILLs per trial: the supervisor's pause doubles with each restart, so a trial kills twice."""

MENTIONS = 30


@pytest.mark.drill(Family.RUNNER_KILL, trials=10, quick=1)
def test_the_runner_killed_mid_stream_loses_and_repeats_no_command(
    bot_process: tuple[subprocess.Popen[bytes], str],
    fake_slack: FakeSlack,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """30 mentions, the runner SIGKILLed twice, each time after a mention drawn from the drill seed and a
    random fraction of a second: 30 answers, one per thread (10 trials in ``make reliability``)."""
    process, base = bot_process
    sender = SlackSender(base + "/slack/events", response_url=fake_slack.response_url)
    planned = KILLS
    mentions = MENTIONS
    kill_after = set(chance.sample(range(mentions - 1), planned))
    stamps: list[str] = []
    kills = 0
    killed_at: list[float] = []
    for number in range(mentions):
        ts = sender.new_ts()
        event = sender.message_event(
            f"<@{BOT_USER}> cordon node-{number % 3 + 1} --dry-run", user=ALICE, ts=ts, kind="app_mention"
        )
        status, _ = sender.send_event(event)
        assert status == 200
        stamps.append(ts)
        if number in kill_after:
            wait_until(lambda: len(runners_of(process.pid)) == 1, timeout=60, what="a runner")
            time.sleep(chance.uniform(0.0, 0.2))
            [runner] = runners_of(process.pid)
            os.kill(runner, signal.SIGKILL)
            killed_at.append(time.monotonic())
            wait_until(partial(gone, runner, parent=process.pid), what="the runner to die")
            kills += 1
    assert kills == planned

    def answered() -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in fake_slack.calls("chat.postMessage"):
            thread = str(call.body.get("thread_ts") or "")
            if thread in stamps:
                counts[thread] = counts.get(thread, 0) + 1
        return counts

    wait_until(lambda: len(answered()) == len(stamps), timeout=90, what="every mention to be answered")
    drill.recovered(Family.RUNNER_KILL, time.monotonic() - killed_at[-1])
    time.sleep(1.0)  # anything answered twice would show by now
    counts = answered()
    lost = [ts for ts in stamps if ts not in counts]
    repeated = [ts for ts, count in counts.items() if count > 1]
    drill.tried(Family.RUNNER_KILL, kills)
    drill.lost(Family.RUNNER_KILL, len(lost))
    drill.duplicated(Family.RUNNER_KILL, len(repeated))
    assert (lost, repeated) == ([], [])
    assert process.poll() is None
