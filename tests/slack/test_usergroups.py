"""Slack user groups named by the policy decide who may run commands, asked of Slack and cached."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.policy_file import load_policy
from bot.settings import Secret, Settings
from bot.slack.app import build_web_client
from bot.slack.assembly import build_bot
from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.ingress.server import ServerThread
from bot.slack.listeners.usergroups import UserGroupResolver
from bot.wiring import build_engine
from shared.jobs import job_id_for
from tests.slack.fake_slack import BOT_USER, FakeSlack, person
from tests.slack.observe import settled, wait_until
from tests.slack.signed import SECRET, SlackSender
from tests.support.clocks import ManualClock
from tests.support.ports import free_port

POLICY = """
rules:
  - commands: [cordon, uncordon]
    allow: [S_ONCALL]
"""


@pytest.fixture(name="groups_slack")
def fixture_groups_slack() -> Iterator[FakeSlack]:
    """A fake Slack where Bob is in the on-call user group and Alice is not."""
    with FakeSlack(users={"U_BOB": person("U_BOB")}, usergroups={"S_ONCALL": ["U_BOB"]}) as fake:
        yield fake


def test_members_are_looked_up_once_per_group_until_the_cache_expires(groups_slack: FakeSlack) -> None:
    """Two questions in a row cost one usergroups.users.list; after the TTL Slack is asked again."""
    clock = ManualClock(0.0)
    client = build_web_client(token="xoxb-test", base_url=groups_slack.url)
    resolver = UserGroupResolver(client, ["S_ONCALL"], ttl_seconds=60, clock=clock)
    assert resolver.groups_of("U_BOB") == frozenset({"S_ONCALL"})
    assert resolver.groups_of("U_ALICE") == frozenset()
    assert len(groups_slack.calls("usergroups.users.list")) == 1
    clock.now = 61
    resolver.groups_of("U_BOB")
    assert len(groups_slack.calls("usergroups.users.list")) == 2


def test_a_group_slack_cannot_describe_has_no_members(groups_slack: FakeSlack) -> None:
    """no_such_subteam: nobody is in it, so the policy denies rather than allows."""
    client = build_web_client(token="xoxb-test", base_url=groups_slack.url)
    assert UserGroupResolver(client, ["S_UNKNOWN"]).groups_of("U_BOB") == frozenset()


@pytest.mark.redis
def test_a_member_of_a_policy_user_group_may_run_what_the_group_may(
    groups_slack: FakeSlack, redis_url: str
) -> None:
    """Bob, in S_ONCALL, cordons; the app resolved his groups through Slack before asking the engine."""
    connection = Redis.from_url(redis_url)
    settings = Settings(
        slack_bot_token=Secret("xoxb-test"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=groups_slack.url,
    )
    engine = build_engine(policy=load_policy(POLICY), connection=connection, cluster="default")
    bot = build_bot(settings, connection=connection, engine=engine)
    with ServerThread(bot.asgi, port=free_port()) as server:
        bot.runner.start()
        slack = SlackSender(server.url + EVENTS_PATH, response_url=groups_slack.response_url)
        ts = slack.new_ts()
        slack.send_event(
            slack.message_event(f"<@{BOT_USER}> cordon node-1", user="U_BOB", ts=ts, kind="app_mention")
        )
        wait_until(settled(bot, route="command", expected=1), what="Bob's command")
        bot.runner.stop()
    [reply] = groups_slack.calls("chat.postMessage")
    assert job_id_for(channel="C_OPS", message_ts=ts) in reply.text
    assert [call.body["usergroup"] for call in groups_slack.calls("usergroups.users.list")] == ["S_ONCALL"]
    connection.close()
