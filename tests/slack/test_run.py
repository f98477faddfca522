"""``chatops bot`` refuses to start without what it needs, and says which setting is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Secret, Settings
from bot.slack.run import missing_setting, run_bot

COMPLETE = Settings(
    redis_url="redis://127.0.0.1:1/0", slack_bot_token=Secret("xoxb-1"), slack_signing_secret=Secret("s")
)


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        (Settings(), "SLACK_BOT_TOKEN"),
        (Settings(redis_url="redis://x", slack_bot_token=Secret("xoxb-1")), "SLACK_SIGNING_SECRET"),
        (Settings(slack_bot_token=Secret("xoxb-1"), slack_signing_secret=Secret("s")), "REDIS_URL"),
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
        redis_url="redis://x", slack_bot_token=Secret("xoxb-1"), slack_app_token=Secret("xapp-1")
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
