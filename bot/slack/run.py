"""``chatops bot``: run the Slack app from the settings until interrupted.

In HTTP mode the work is split in two processes so that answering Slack never waits behind the
work: the front (this process) verifies, stores and answers; the runner (a child process, restarted
if it dies) does everything else and serves its metrics on ``RUNNER_PORT`` for the front to pass on.
``--role front`` and ``--role runner`` run one half each, to scale them apart. Socket Mode runs in
one process: Bolt answers over the socket before the listeners run.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis import Redis
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import redis_url
from bot.core.policy import Policy
from bot.core.policy_file import PolicyError, load_policy_file
from bot.observability import PrometheusObserver
from bot.settings import Settings, SettingsError
from bot.slack.app import build_web_client
from bot.slack.assembly import build_bot, redis_answers
from bot.slack.ingress.front import build_front
from bot.slack.ingress.inbox import Inbox
from bot.slack.ingress.server import serve
from bot.slack.metrics import FrontMetrics, SlackMetrics
from bot.slack.names import SlackNames
from bot.slack.supervisor import RunnerProcess
from bot.web.app import configured_page_routes
from bot.web.view import Names, same_name
from bot.wiring import page_links, production_engine, timeline_key
from shared.job_signing import job_key_problem
from shared.logs import configure_json_logging
from shared.messages import policy as policy_messages
from shared.messages import slack as messages

log = logging.getLogger(__name__)


ROLES = ("all", "front", "runner")

RUNNER_NICENESS = 10
"""The runner child yields the CPU to its front: answering Slack within 3 s is the urgent part, and the
runner's work waits safely in the inbox. (Split into pods, each half has its own CPU anyway.)"""


def run_bot(settings: Settings, *, role: str = "all") -> int:
    """Run the Slack app; 0 when stopped, 2 when a setting is missing or the policy is invalid.

    There is no default policy: without ``CHATOPS_POLICY`` the bot (every role but the front, which
    never reads it) refuses to start rather than run the demo's rules in a real workspace. Nor is there
    a default job key: without ``CHATOPS_JOB_KEY`` (which signs the jobs it queues) it refuses too.
    """
    problem = missing_setting(settings, role=role)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    if role != "front":
        try:
            load_policy(settings)
        except (PolicyError, SettingsError) as error:
            print(str(error), file=sys.stderr)
            return 2
    configure_json_logging()
    connection = redis_url.connect(str(settings.redis_url))
    if settings.slack_app_token or role == "runner":
        return _run_runner(settings, connection=connection, socket_mode=bool(settings.slack_app_token))
    front = build_front(
        signing_secret=settings.slack_signing_secret.value,
        inbox=Inbox(connection),
        metrics=FrontMetrics(),
        healthy=both(redis_answers(connection), runner_health(settings.runner_port))
        if role == "all"
        else redis_answers(connection),
        extra_metrics=runner_metrics(settings.runner_port) if role == "all" else None,
        max_body_bytes=settings.slack_max_body_bytes,
        pages=configured_page_routes(
            page_links(settings, connection=connection),
            connection=connection,
            timeline_key=timeline_key(settings),
            names=page_names(settings),
        ),
    )
    runner = RunnerProcess(settings, target=run_runner_process) if role == "all" else None
    if runner is not None:
        runner.start()
    log.info(messages.bot_listening(mode="HTTP mode", where=f"{settings.host}:{settings.port}"))
    try:
        serve(front, host=settings.host, port=settings.port)
    except KeyboardInterrupt:
        pass
    finally:
        if runner is not None:
            runner.stop()
    return 0


def run_runner_process(settings: Settings, consumer: str) -> None:
    """The runner child of ``chatops bot`` (role all): its entry point in the new process.

    It stops (as on SIGTERM) if its parent dies, rather than run on unsupervised beside a new bot, and
    runs at a lower priority than the front (:data:`RUNNER_NICENESS`).
    """
    configure_json_logging()
    follow_parent(os.getppid())
    os.nice(RUNNER_NICENESS)
    connection = redis_url.connect(str(settings.redis_url))
    _run_runner(settings, connection=connection, socket_mode=False, host="127.0.0.1", consumer=consumer)


def _run_runner(
    settings: Settings,
    *,
    connection: Redis,
    socket_mode: bool,
    host: str | None = None,
    consumer: str | None = None,
) -> int:
    try:
        policy = load_policy(settings)
    except (PolicyError, SettingsError) as error:
        print(str(error), file=sys.stderr)
        return 2
    observer = PrometheusObserver()
    engine = production_engine(
        settings,
        policy=policy,
        connection=connection,
        observer=observer,
        links=page_links(settings, connection=connection),
        job_key=settings.job_key.value.encode(),
    )
    bot = build_bot(settings, connection=connection, engine=engine, runner_name=consumer, observer=observer)
    try:
        bot.start_background(inbox=not socket_mode)
        if socket_mode:
            from bot.slack.ingress.socket import run_socket_mode

            log.info(messages.bot_listening(mode="Socket Mode", where=settings.slack_api_url or "slack.com"))
            run_socket_mode(bot.app, app_token=settings.slack_app_token.value)
        else:
            serve(
                runner_asgi(bot.metrics, healthy=both(redis_answers(connection), bot.runner.alive)),
                host=host or settings.host,
                port=settings.runner_port,
            )
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop_background(inbox=not socket_mode)
    return 0


def page_names(settings: Settings) -> Names:
    """How the front's incident pages name people: from Slack when it has the bot token, else by id."""
    if not settings.slack_bot_token:
        return same_name
    return SlackNames(build_web_client(token=settings.slack_bot_token.value, base_url=settings.slack_api_url))


def follow_parent(parent: int) -> None:
    """Send this process SIGTERM once ``parent`` is gone (checked every second, from a thread)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def load_policy(settings: Settings) -> Policy:
    """The policy file named by ``CHATOPS_POLICY``; :class:`SettingsError` when it is not set."""
    if settings.policy_path is None:
        raise SettingsError(policy_messages.policy_not_set())
    return load_policy_file(settings.policy_path)


def runner_asgi(metrics: SlackMetrics, *, healthy: Callable[[], bool]) -> Starlette:
    """What the runner serves: its metrics, and a health check (Redis answers, its reader is alive)."""

    async def prometheus(_request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_request: Request) -> Response:
        ok = await run_in_threadpool(healthy)
        return PlainTextResponse("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    return Starlette(
        routes=[Route("/metrics", prometheus, methods=["GET"]), Route("/healthz", healthz, methods=["GET"])]
    )


def both(first: Callable[[], bool], second: Callable[[], bool]) -> Callable[[], bool]:
    """A health check passing when both of two pass."""
    return lambda: first() and second()


def runner_health(port: int) -> Callable[[], bool]:
    """Whether the local runner's ``/healthz`` passes: its inbox reader completes rounds, Redis answers.

    The front of ``chatops bot`` (role all) answers ``/healthz`` with it, so a liveness probe restarts a
    bot whose runner reads nothing any more, not only one whose port is closed.
    """

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    return healthy


def runner_metrics(port: int) -> Callable[[], bytes]:
    """Read the local runner's metrics (nothing while it is starting or restarting)."""

    def read() -> bytes:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
                return bytes(answer.read())
        except OSError:
            return b""

    return read


def missing_setting(settings: Settings, *, role: str = "all") -> str | None:
    """The sentence naming the first setting the bot cannot run without, or None when all are there."""
    if not settings.slack_bot_token and (role != "front" or settings.slack_app_token):
        return messages.missing_setting(name="SLACK_BOT_TOKEN", purpose="to call Slack as the bot (xoxb-…)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        return messages.missing_setting(
            name="SLACK_SIGNING_SECRET",
            purpose="to verify Slack's requests in HTTP mode (or set SLACK_APP_TOKEN)",
        )
    if settings.redis_url is None:
        return messages.missing_setting(name="REDIS_URL", purpose="to share the job queue with the workers")
    if settings.policy_path is None and (role != "front" or settings.slack_app_token):
        return policy_messages.policy_not_set()
    if not settings.timeline_key:
        return messages.missing_setting(
            name="CHATOPS_TIMELINE_KEY",
            purpose="to key the timeline's hash chain with a secret kept outside Redis",
        )
    if role != "front" or settings.slack_app_token:
        return job_key_problem(settings.job_key.value, program="chatops bot")
    return None
