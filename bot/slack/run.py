"""``chatops bot``: put the Slack app together from the settings and run it until interrupted.

:func:`build_bot` wires the engine, de-duplication, user groups, account checks, the App Home tab,
the Bolt app, its ASGI server, the job-card renderer (whose reads also feed the timeline and the
approval requests' plans) and the approval expiry loop around one Redis connection; tests and
benchmarks call it with a fake Slack's URL. :func:`run_bot` checks the settings, builds the bot,
starts the job cards and the expiry loop, and serves HTTP (or Socket Mode when ``SLACK_APP_TOKEN`` is set).
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import sys

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App
from slack_sdk import WebClient
from starlette.applications import Starlette

from bot.core.conversation import Engine
from bot.core.logs import configure_json_logging
from bot.core.messages import slack as messages
from bot.core.policy import slack_usergroup_ids
from bot.core.policy_file import PolicyError, demo_policy, load_policy_file
from bot.dispatch import RQDispatcher
from bot.events import GroupEventFeed
from bot.settings import Settings
from bot.slack.app import DEFAULT_RATE_LIMIT_RETRIES, build_app, build_web_client
from bot.slack.approval_posts import ApprovalPosts
from bot.slack.cards import DEFAULT_INTERVAL_SECONDS, CardRenderer, EventSource
from bot.slack.dedupe import Deduplicator
from bot.slack.expiry import DEFAULT_EXPIRY_INTERVAL_SECONDS, ExpiryLoop
from bot.slack.home import HomePublisher, pending_requests
from bot.slack.listeners import SlackListeners
from bot.slack.metrics import SlackMetrics
from bot.slack.people import AccountCheck
from bot.slack.recording import RecordingSource
from bot.slack.replies import ReplyPoster
from bot.slack.server import build_asgi, serve
from bot.slack.usergroups import UserGroupResolver
from bot.wiring import build_engine

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SlackBot:
    """The assembled Slack app: serve ``asgi`` (or ``app`` over Socket Mode), run ``cards`` and ``expiry``."""

    app: App
    asgi: Starlette
    cards: CardRenderer
    expiry: ExpiryLoop
    client: WebClient
    metrics: SlackMetrics

    def start_background(self) -> None:
        """Start the job cards and the approval expiry loop."""
        self.cards.start()
        self.expiry.start()

    def stop_background(self) -> None:
        """Stop what :meth:`start_background` started."""
        self.expiry.stop()
        self.cards.stop()


def build_bot(
    settings: Settings,
    *,
    connection: Redis,
    engine: Engine,
    events: EventSource | None = None,
    card_interval: float = DEFAULT_INTERVAL_SECONDS,
    card_retry_seconds: float = 2.0,
    rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
    expiry_interval: float = DEFAULT_EXPIRY_INTERVAL_SECONDS,
) -> SlackBot:
    """Build the app against ``settings.slack_api_url``; calls ``auth.test`` once."""
    metrics = SlackMetrics()
    client = build_web_client(
        token=settings.slack_bot_token.value,
        base_url=settings.slack_api_url,
        rate_limit_retries=rate_limit_retries,
    )
    identity = client.auth_test()
    approvals = ApprovalPosts(connection)
    replies = ReplyPoster(approvals=approvals)
    groups = UserGroupResolver(client, slack_usergroup_ids(engine.policy))
    home = HomePublisher(
        policy=engine.policy,
        jobs=RQDispatcher(connection),
        cluster=settings.cluster,
        pending=lambda: pending_requests(connection),
        groups=groups,
    )
    listeners = SlackListeners(
        engine=engine,
        replies=replies,
        dedupe=Deduplicator(connection),
        groups=groups,
        accounts=AccountCheck(client, team_id=identity.get("team_id")),
        metrics=metrics,
        home=home,
    )
    app = build_app(
        client=client,
        signing_secret=settings.slack_signing_secret.value,
        listeners=listeners,
        socket_mode=bool(settings.slack_app_token),
    )
    source = RecordingSource(
        events if events is not None else GroupEventFeed(connection, consumer=socket.gethostname()),
        sinks=[engine.record_job_events, lambda read: approvals.show_plans(client, read)],
    )
    cards = CardRenderer(
        client=client,
        source=source,
        interval=card_interval,
        retry_seconds=card_retry_seconds,
        metrics=metrics,
    )

    def healthy() -> bool:
        try:
            return bool(connection.ping())
        except RedisError:
            return False

    return SlackBot(
        app=app,
        asgi=build_asgi(app, metrics=metrics, healthy=healthy),
        cards=cards,
        expiry=ExpiryLoop(engine=engine, replies=replies, client=client, interval=expiry_interval),
        client=client,
        metrics=metrics,
    )


def run_bot(settings: Settings) -> int:
    """Run the Slack app; 0 when stopped, 2 when a setting is missing or the policy is invalid."""
    problem = missing_setting(settings)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        policy = load_policy_file(settings.policy_path) if settings.policy_path else demo_policy()
    except PolicyError as error:
        print(str(error), file=sys.stderr)
        return 2
    configure_json_logging()
    connection = Redis.from_url(str(settings.redis_url))
    engine = build_engine(policy=policy, connection=connection, cluster=settings.cluster)
    bot = build_bot(settings, connection=connection, engine=engine)
    bot.start_background()
    try:
        if settings.slack_app_token:
            from bot.slack.socket import run_socket_mode

            log.info(messages.bot_listening(mode="Socket Mode", where=settings.slack_api_url or "slack.com"))
            run_socket_mode(bot.app, app_token=settings.slack_app_token.value)
        else:
            log.info(messages.bot_listening(mode="HTTP mode", where=f"{settings.host}:{settings.port}"))
            serve(bot.asgi, host=settings.host, port=settings.port)
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop_background()
    return 0


def missing_setting(settings: Settings) -> str | None:
    """The sentence naming the first setting the bot cannot run without, or None when all are there."""
    if not settings.slack_bot_token:
        return messages.missing_setting(name="SLACK_BOT_TOKEN", purpose="to call Slack as the bot (xoxb-…)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        return messages.missing_setting(
            name="SLACK_SIGNING_SECRET",
            purpose="to verify Slack's requests in HTTP mode (or set SLACK_APP_TOKEN)",
        )
    if settings.redis_url is None:
        return messages.missing_setting(name="REDIS_URL", purpose="to share the job queue with the workers")
    return None
