"""The Slack app serves the engine's counts with its own metrics, and its client counts Slack's refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.conversation import Message
from bot.core.policy_file import demo_policy
from bot.observability import PrometheusObserver
from bot.settings import Secret, Settings
from bot.slack.assembly import build_bot
from bot.wiring import build_engine
from tests.observability.scrape import collect, value
from tests.slack.fake_slack import FakeSlack

pytestmark = pytest.mark.redis


@pytest.fixture(name="fake_slack")
def fixture_fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API."""
    with FakeSlack() as fake:
        yield fake


def test_the_runner_metrics_include_commands_and_slack_api_errors(
    fake_slack: FakeSlack, redis_url: str
) -> None:
    """One queued cordon and one rate-limited post (retried, then accepted) are in the runner's registry."""
    connection = Redis.from_url(redis_url)
    observer = PrometheusObserver()
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default", observer=observer)
    settings = Settings(
        redis_url="unused: the connection is passed in",
        slack_bot_token=Secret("xoxb-test-token"),
        slack_signing_secret=Secret("unused"),
        slack_api_url=fake_slack.url,
    )
    bot = build_bot(settings, connection=connection, engine=engine, observer=observer)
    engine.handle(Message(user="U_ALICE", channel="C_OPS", ts="1.1", text="cordon node-3"))
    fake_slack.rate_limit(calls=1, retry_after=0)
    bot.client.chat_postMessage(channel="C_OPS", text="hello")
    samples = collect(bot.metrics.registry)
    assert value(samples, "chatops_commands_total", verb="cordon", outcome="queued", cluster="default") == 1
    assert (
        value(samples, "chatops_slack_api_errors_total", method="chat.postMessage", error="ratelimited") == 1
    )
    connection.close()
