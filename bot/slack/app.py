"""Building the Bolt ``App``: one injected Web API client, request verification on, our listeners.

The client is made here so that every Slack call of the app, per-request clients included (Bolt
copies ``base_url`` and ``retry_handlers`` into them), goes to ``SLACK_API_URL`` when it is set and
survives rate limits: slack_sdk retries a 429 after the ``Retry-After`` Slack asks for.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack.listeners.handlers import SlackListeners

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_RATE_LIMIT_RETRIES = 3
"""How many times one call is retried after a 429 before the caller sees the error."""
LISTENER_THREADS = 16
"""Listeners running at once; each mostly waits on Slack or Redis."""


def build_web_client(
    *,
    token: str,
    base_url: str | None = None,
    rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
    timeout_seconds: int = 30,
) -> WebClient:
    """A Web API client for ``base_url`` (Slack's by default) that retries 429s, 5xx and resets."""
    url = base_url or SLACK_API_URL
    return WebClient(
        token=token,
        base_url=url if url.endswith("/") else url + "/",
        timeout=timeout_seconds,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    *,
    client: WebClient,
    signing_secret: str,
    listeners: SlackListeners,
    socket_mode: bool = False,
) -> App:
    """The Bolt app. Calls ``auth.test`` once, now, so a bad token fails at start-up.

    In HTTP mode the app runs deliveries from the inbox (:mod:`bot.slack.ingress.inbox_runner`): the front
    has verified their signatures and answered Slack already, and the app runs the listeners before
    returning, so the runner knows when a delivery is done. In Socket Mode the app answers Slack
    itself over the socket, before its listeners run (the app-level token proves the connection;
    there are no signatures).
    """
    app = App(
        client=client,
        signing_secret=signing_secret or None,
        request_verification_enabled=False,
        process_before_response=not socket_mode,
        raise_error_for_unhandled_request=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener"
        ),
    )
    listeners.register(app)
    return app
