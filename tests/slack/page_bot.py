"""The real app with incident pages on: an engine that hands out links, served on a known port."""

from __future__ import annotations

import dataclasses
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine
from bot.core.policy_file import demo_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import build_bot
from bot.timeline_store import TimelineStore
from bot.wiring import page_links
from tests.slack.conftest import RunningBot, serving
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.signed import SECRET, SlackSender
from tests.support.ports import free_port

PAGE_KEY = "page-key-of-the-tests"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/incidents/[A-Za-z0-9_.-]+")


@dataclasses.dataclass(frozen=True)
class PageBot:
    """The served app, a sender playing Slack, and the fake Slack it answers through."""

    running: RunningBot
    fake: FakeSlack

    @property
    def slack(self) -> SlackSender:
        """The sender playing Slack."""
        return self.running.slack

    def say(self, text: str, *, user: str) -> str:
        """Mention the bot with ``text`` in C_OPS; the ts of the message."""
        ts = self.slack.new_ts()
        self.slack.send_event(
            self.slack.message_event(f"<@{BOT_USER}> {text}", user=user, ts=ts, kind="app_mention")
        )
        return ts

    def ask_for_link(self, *, user: str) -> str:
        """``timeline --link``; the URL of the ephemeral answer."""
        before = len(self.fake.calls("chat.postEphemeral"))
        self.say("timeline --link", user=user)
        calls = self.fake.wait_for("chat.postEphemeral", count=before + 1)
        found = LINK.search(str(calls[-1].body.get("text", "")))
        assert found is not None, calls[-1].body
        return found.group()


@contextmanager
def page_bot(fake_slack: FakeSlack, connection: Redis) -> Iterator[PageBot]:
    """The app on a free port with ``CHATOPS_PAGE_KEY`` set and its page URL pointing at itself."""
    port = free_port()
    settings = Settings(
        redis_url="unused: the connection is passed in",
        slack_bot_token=Secret("xoxb-test-token"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake_slack.url,
        page_key=Secret(PAGE_KEY),
        page_url=f"http://127.0.0.1:{port}",
    )
    engine = Engine(
        policy=demo_policy(),
        jobs=RQDispatcher(connection),
        approvals=ApprovalStore(connection),
        timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY),
        default_cluster="default",
        links=page_links(settings, connection=connection),
    )
    bot = build_bot(settings, connection=connection, engine=engine, card_interval=0.3, expiry_interval=0.05)
    with serving(bot, fake_slack, connection, port=port) as running:
        yield PageBot(running=running, fake=fake_slack)


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET ``url``: the status, the body and the headers (lower-case names), whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}
