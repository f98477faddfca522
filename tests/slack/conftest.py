"""Fixtures of the Slack app tests: the fake Slack, a real Redis, and the real app served over HTTP.

The app's approval requests run on :class:`ApprovalClock`, the real time plus whatever a test
skips ahead, so a test can let a request expire without waiting for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import Engine
from bot.core.policy import Policy
from bot.core.policy_file import demo_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import SlackBot, build_bot
from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.ingress.server import ServerThread
from bot.timeline_store import TimelineStore
from tests.slack.fake_slack import FakeSlack, person
from tests.slack.signed import SECRET, SlackSender
from tests.support.ports import free_port

ALICE, BOB, CAROL, DAVE = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"
GUEST, GONE = "U_GUEST", "U_GONE"


@pytest.fixture(name="fake_slack")
def fixture_fake_slack() -> Iterator[FakeSlack]:
    """The fake Web API, knowing the demo people, a guest and a deactivated account."""
    users = {user: person(user) for user in (ALICE, BOB, CAROL, DAVE)}
    users[GUEST] = person(GUEST, is_restricted=True)
    users[GONE] = person(GONE, deleted=True)
    with FakeSlack(users=users) as fake:
        yield fake


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """A connection to this test's emptied real Redis."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


class ApprovalClock:
    """The time now, plus what the test skipped ahead."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped

    def skip(self, seconds: float) -> None:
        """Move the clock ``seconds`` ahead."""
        self.skipped += seconds


@pytest.fixture(name="approval_clock")
def fixture_approval_clock() -> ApprovalClock:
    """The clock of the app's approval requests."""
    return ApprovalClock()


MakeBot = Callable[..., SlackBot]


@pytest.fixture(name="policy")
def fixture_policy() -> Policy:
    """The policy of the app under test: the demo's (a test module may override this fixture)."""
    return demo_policy()


@pytest.fixture(name="make_bot")
def fixture_make_bot(
    fake_slack: FakeSlack, connection: Redis, approval_clock: ApprovalClock, policy: Policy
) -> MakeBot:
    """Build the real app against the fake Slack, under ``policy``; options go to build_bot.

    ``settings`` changes fields of the test's :class:`Settings`.

        The engine is ``bot.wiring.build_engine``'s, but with its approval store on ``approval_clock``.
    """

    def make(*, settings: Mapping[str, Any] | None = None, **options: Any) -> SlackBot:
        base = Settings(
            redis_url="unused: the connection is passed in",
            slack_bot_token=Secret("xoxb-test-token"),
            slack_signing_secret=Secret(SECRET),
            slack_api_url=fake_slack.url,
        )
        configured = dataclasses.replace(base, **(settings or {}))
        engine = Engine(
            policy=policy,
            jobs=RQDispatcher(connection),
            approvals=ApprovalStore(connection, clock=approval_clock),
            timeline=TimelineStore(connection, key=DEMO_CHAIN_KEY),
            default_cluster="default",
        )
        return build_bot(configured, connection=connection, engine=engine, **options)

    return make


@dataclasses.dataclass(frozen=True)
class RunningBot:
    """The app served over HTTP with its job cards and expiry loop running, and a sender playing Slack."""

    bot: SlackBot
    connection: Redis
    """The app's Redis (where a test plays the workers)."""
    server: ServerThread
    slack: SlackSender


@contextlib.contextmanager
def serving(
    bot: SlackBot, fake_slack: FakeSlack, connection: Redis, *, port: int | None = None
) -> Iterator[RunningBot]:
    """``bot`` served over HTTP on ``port`` (a free one by default) with its background loops running,
    and a sender playing Slack towards it; everything stopped afterwards."""
    with ServerThread(bot.asgi, port=port or free_port()) as server:
        bot.start_background()
        try:
            sender = SlackSender(server.url + EVENTS_PATH, response_url=fake_slack.response_url)
            yield RunningBot(bot=bot, connection=connection, server=server, slack=sender)
        finally:
            bot.stop_background()


@pytest.fixture(name="running")
def fixture_running(make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis) -> Iterator[RunningBot]:
    """The real app on a free port, cards coalesced to one update per 0.3 s, expiry checked every 0.05 s."""
    bot = make_bot(card_interval=0.3, card_retry_seconds=0.1, expiry_interval=0.05)
    with serving(bot, fake_slack, connection) as running:
        yield running
