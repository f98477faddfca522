"""Putting the Slack app together: :func:`build_bot` wires one bot around one Redis connection.

The engine, de-duplication and the reply ledger, user groups, account checks, the App Home tab and
its pushes, the Bolt app and its listeners, the HTTP front and the inbox runner, the job cards (whose
reads also feed the approval requests' plans and the Home pushes; their state kept in Redis so a
restarted bot goes on with the same messages), the approval expiry loop, and the engine's timeline
recorder (:mod:`bot.timeline_recorder`, its own consumer group on the same job events stream). Tests and
benchmarks build it against a fake Slack's URL and run all of it in one process; ``chatops bot``
(:mod:`bot.slack.run`) runs the front and the rest in separate processes.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import generate_latest
from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette

from bot.core.conversation import Engine, Reply
from bot.core.policy import slack_usergroup_ids
from bot.core.rechecks import RECHECK_INTERVAL_SECONDS
from bot.dispatch import RQDispatcher
from bot.events import GroupEventFeed
from bot.observability import PrometheusObserver
from bot.settings import Settings
from bot.slack.api_errors import SlackApiErrorCounter
from bot.slack.app import DEFAULT_RATE_LIMIT_RETRIES, build_app, build_web_client
from bot.slack.ingress import payloads
from bot.slack.ingress.dedupe import Deduplicator
from bot.slack.ingress.front import build_front
from bot.slack.ingress.inbox import Delivery, Inbox
from bot.slack.ingress.inbox_runner import InboxRunner
from bot.slack.ingress.reply_ledger import ReplyLedger
from bot.slack.listeners.card_undo import CardUndo
from bot.slack.listeners.handlers import SlackListeners
from bot.slack.listeners.people import AccountCheck
from bot.slack.listeners.usergroups import UserGroupResolver
from bot.slack.metrics import FrontMetrics, SlackMetrics
from bot.slack.names import SlackNames
from bot.slack.posting.approval_posts import ApprovalPosts
from bot.slack.posting.card_store import CardStore
from bot.slack.posting.cards import DEFAULT_INTERVAL_SECONDS, CardRenderer, EventSource
from bot.slack.posting.expiry import DEFAULT_EXPIRY_INTERVAL_SECONDS, ExpiryLoop
from bot.slack.posting.home_push import DEFAULT_INTERVAL_SECONDS as DEFAULT_HOME_PUSH_SECONDS
from bot.slack.posting.home_push import HomePusher
from bot.slack.posting.recording import RecordingSource
from bot.slack.posting.replies import ReplyPoster
from bot.slack.views.home import HomePublisher, pending_requests
from bot.timeline_recorder import TimelineRecorder
from bot.web.app import configured_page_routes
from bot.wiring import build_recorder, page_links, timeline_key, timeline_retention
from shared.messages import slack as messages

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SlackBot:
    """The assembled Slack app: ``asgi`` answers Slack, ``runner`` does the work, ``cards`` and ``expiry``,
    and ``recorder`` puts the job events on the engine's timeline."""

    app: App
    asgi: Starlette
    runner: InboxRunner
    cards: CardRenderer
    expiry: ExpiryLoop
    client: WebClient
    metrics: SlackMetrics
    recorder: TimelineRecorder
    home_push: HomePusher | None = None

    def start_background(self, *, inbox: bool = True) -> None:
        """Start the inbox runner (unless ``inbox`` is False: Socket Mode), the timeline recorder, the job
        cards, expiry, Home pushes."""
        if inbox:
            self.runner.start()
        self.recorder.start()
        self.cards.start()
        self.expiry.start()
        if self.home_push is not None:
            self.home_push.start()

    def stop_background(self, *, inbox: bool = True) -> None:
        """Stop what :meth:`start_background` started."""
        if self.home_push is not None:
            self.home_push.stop()
        self.expiry.stop()
        self.cards.stop()
        self.recorder.stop()
        if inbox:
            self.runner.stop()


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
    recheck_interval: float = RECHECK_INTERVAL_SECONDS,
    runner_name: str | None = None,
    home_push_interval: float = DEFAULT_HOME_PUSH_SECONDS,
    observer: PrometheusObserver | None = None,
) -> SlackBot:
    """Build the app against ``settings.slack_api_url``; calls ``auth.test`` once.

    ``observer`` (the engine's) is served with the runner's metrics and counts Slack API errors.
    """
    metrics = SlackMetrics()
    client = build_web_client(
        token=settings.slack_bot_token.value,
        base_url=settings.slack_api_url,
        rate_limit_retries=rate_limit_retries,
    )
    if observer is not None:
        client.retry_handlers.insert(0, SlackApiErrorCounter(observer))
        metrics.registry.register(observer)
    identity = client.auth_test()
    approvals = ApprovalPosts(connection)
    groups = UserGroupResolver(client, slack_usergroup_ids(engine.policy))
    home = HomePublisher(
        policy=engine.policy,
        jobs=RQDispatcher(connection),
        cluster=settings.cluster,
        pending=lambda: pending_requests(connection),
        groups=groups,
    )
    home_push = HomePusher(publisher=home, client=client, policy=engine.policy, interval=home_push_interval)
    replies = ReplyPoster(approvals=approvals, on_approval=[home_push.approval_changed])
    card_store = CardStore(connection)
    listeners = SlackListeners(
        engine=engine,
        replies=replies,
        dedupe=Deduplicator(connection),
        ledger=ReplyLedger(connection),
        groups=groups,
        accounts=AccountCheck(client, team_id=identity.get("team_id")),
        metrics=metrics,
        home=home,
        undo=CardUndo(card_store),
    )
    app = build_app(
        client=client,
        signing_secret=settings.slack_signing_secret.value,
        listeners=listeners,
        socket_mode=bool(settings.slack_app_token),
    )
    source = RecordingSource(
        events if events is not None else GroupEventFeed(connection, consumer=socket.gethostname()),
        sinks=[
            lambda read: approvals.show_plans(client, read),
            lambda read: post_all(replies, client, engine.plans_reported(read)),
            home_push.job_events,
        ],
    )
    cards = CardRenderer(
        client=client,
        source=source,
        interval=card_interval,
        retry_seconds=card_retry_seconds,
        metrics=metrics,
        store=card_store,
    )

    def handled(delivery: Delivery, _status: int) -> None:
        metrics.inbox_wait_seconds.observe(max(0.0, time.time() - delivery.received_at))

    return SlackBot(
        app=app,
        asgi=build_front(
            signing_secret=settings.slack_signing_secret.value,
            inbox=Inbox(connection),
            metrics=FrontMetrics(),
            healthy=redis_answers(connection),
            extra_metrics=lambda: generate_latest(metrics.registry),
            max_body_bytes=settings.slack_max_body_bytes,
            pages=configured_page_routes(
                page_links(settings, connection=connection),
                connection=connection,
                timeline_key=timeline_key(settings),
                names=SlackNames(client),
            ),
        ),
        runner=InboxRunner(
            connection,
            app,
            consumer=runner_name,
            on_handled=handled,
            on_dropped=lambda delivery, body: tell_dropped(client, delivery, body),
        ),
        cards=cards,
        expiry=ExpiryLoop(
            engine=engine,
            replies=replies,
            client=client,
            interval=expiry_interval,
            recheck_interval=recheck_interval,
        ),
        client=client,
        metrics=metrics,
        recorder=build_recorder(
            connection,
            consumer=runner_name or socket.gethostname(),
            timeline_key=timeline_key(settings),
            observer=observer,
            retention=timeline_retention(settings),
        ),
        home_push=home_push,
    )


def tell_dropped(client: WebClient, delivery: Delivery, body: Mapping[str, Any]) -> None:
    """Tell the sender of a delivery the runner gave up on, only them, in its thread when it has one.

    ``body`` is the delivery as Bolt parsed it for the last attempt.
    """
    origin = payloads.origin_of(body)
    if origin is None:
        return
    try:
        client.chat_postEphemeral(
            channel=origin.channel,
            user=origin.user,
            text=messages.delivery_failed(reference=delivery.id),
            thread_ts=origin.thread_ts,
        )
    except SlackApiError as error:
        log.info(
            "could not tell %s about delivery %s: %s", origin.user, delivery.id, error.response.get("error")
        )


def post_all(poster: ReplyPoster, client: WebClient, replies: list[Reply]) -> None:
    """Post replies nobody's message asked for (a plan's request or refusal), each in its own channel."""
    for reply in replies:
        poster.post(client, reply, channel=reply.channel or "")


def redis_answers(connection: Redis) -> Callable[[], bool]:
    """A health check: Redis answers a PING."""

    def healthy() -> bool:
        try:
            return bool(connection.ping())
        except RedisError:
            return False

    return healthy
