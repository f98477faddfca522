"""``chatops bot`` refuses to start without what it needs, and says which setting is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Secret, Settings
from bot.slack.run import missing_setting, run_bot
from shared.messages import admission as admission_messages
from shared.messages import policy as policy_messages
from tests.support.job_key import TEST_JOB_KEY
from tests.support.policies import DEMO_POLICY_FILE
from tests.support.ports import free_port

CHATOPS = Path(sys.executable).parent / "chatops"
COMPLETE = Settings(
    redis_url="redis://127.0.0.1:1/0",
    slack_bot_token=Secret("xoxb-1"),
    slack_signing_secret=Secret("s"),
    policy_path=DEMO_POLICY_FILE,
    job_key=Secret(TEST_JOB_KEY),
    timeline_key=Secret("k"),
)


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        (Settings(), "SLACK_BOT_TOKEN"),
        (Settings(redis_url="redis://x", slack_bot_token=Secret("xoxb-1")), "SLACK_SIGNING_SECRET"),
        (Settings(slack_bot_token=Secret("xoxb-1"), slack_signing_secret=Secret("s")), "REDIS_URL"),
        (Settings(**{**COMPLETE.__dict__, "timeline_key": Secret("")}), "CHATOPS_TIMELINE_KEY"),
    ],
)
def test_a_missing_setting_stops_the_bot_with_status_2_naming_it(
    settings: Settings, missing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing is started; stderr names the variable."""
    assert run_bot(settings) == 2
    assert f"{missing} is not set" in capsys.readouterr().err


def test_socket_mode_needs_no_signing_secret() -> None:
    """With SLACK_APP_TOKEN set, a bot token and Redis are all the bot needs."""
    settings = Settings(
        redis_url="redis://x",
        slack_bot_token=Secret("xoxb-1"),
        slack_app_token=Secret("xapp-1"),
        policy_path=DEMO_POLICY_FILE,
        job_key=Secret(TEST_JOB_KEY),
        timeline_key=Secret("k"),
    )
    assert missing_setting(settings) is None
    assert missing_setting(COMPLETE) is None


def test_an_invalid_policy_file_stops_the_bot_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy that cannot be used is reported before anything connects."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules: []\n", encoding="utf-8")
    settings = Settings(**{**COMPLETE.__dict__, "policy_path": policy})
    assert run_bot(settings) == 2
    assert str(policy) in capsys.readouterr().err


def test_without_a_policy_file_the_bot_refuses_to_start_rather_than_run_the_demo_policy() -> None:
    """``chatops bot`` with everything but CHATOPS_POLICY exits 2 with one line saying so."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "RUNNER_PORT": str(free_port()),
    }
    for name in ("SLACK_APP_TOKEN", "CHATOPS_POLICY"):
        env.pop(name, None)
    result = subprocess.run(
        [str(CHATOPS), "bot"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [policy_messages.policy_not_set()]
    assert result.stdout == ""


@pytest.mark.parametrize("role", ["all", "runner"])
def test_every_role_that_reads_the_policy_needs_the_file(role: str) -> None:
    """The runner (alone or under the front) needs CHATOPS_POLICY; Socket Mode likewise."""
    without_policy = Settings(**{**COMPLETE.__dict__, "policy_path": None})
    socket_mode = Settings(**{**without_policy.__dict__, "slack_app_token": Secret("xapp-1")})
    assert missing_setting(without_policy, role=role) == policy_messages.policy_not_set()
    assert missing_setting(socket_mode, role="front") == policy_messages.policy_not_set()


def test_the_front_alone_never_reads_the_policy_and_does_not_need_it() -> None:
    """``--role front`` only verifies and stores Slack's requests: CHATOPS_POLICY is not asked for."""
    assert missing_setting(Settings(**{**COMPLETE.__dict__, "policy_path": None}), role="front") is None


@pytest.mark.parametrize("role", ["all", "runner"])
def test_every_role_that_queues_jobs_needs_the_job_key(role: str) -> None:
    """Without CHATOPS_JOB_KEY (or with one too short to be a secret) the bot refuses to start."""
    without_key = Settings(**{**COMPLETE.__dict__, "job_key": Secret("")})
    short_key = Settings(**{**COMPLETE.__dict__, "job_key": Secret("too-short")})
    assert missing_setting(without_key, role=role) == admission_messages.job_key_missing(
        program="chatops bot"
    )
    assert missing_setting(short_key, role=role) == admission_messages.job_key_too_short(length=9)
    assert missing_setting(without_key, role="front") is None
