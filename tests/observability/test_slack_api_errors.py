"""Slack Web API refusals are counted at the client, by method and Slack's error code, whoever called."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.observability import PrometheusObserver
from bot.slack.api_errors import SlackApiErrorCounter
from tests.observability.scrape import collect, label_values, value
from tests.support.ports import free_port

ANSWERS: dict[str, tuple[int, dict[str, object]]] = {
    "auth.test": (200, {"ok": True, "user_id": "UBOT"}),
    "chat.postMessage": (200, {"ok": False, "error": "channel_not_found"}),
    "views.publish": (500, {"ok": False}),
}
"""What the small Slack below answers, by method."""


class SmallSlack(BaseHTTPRequestHandler):
    """Answers each Web API method with its canned status and body."""

    def do_POST(self) -> None:
        """One API call."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = ANSWERS[self.path.rsplit("/", 1)[-1]]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(name="slack_url")
def fixture_slack_url() -> Iterator[str]:
    """The base URL of a small Slack on a loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), SmallSlack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    server.shutdown()
    server.server_close()
    thread.join()


def client(base_url: str, observer: PrometheusObserver) -> WebClient:
    """A client counting refusals first, then retrying server errors once (as the bot's does)."""
    handlers = [SlackApiErrorCounter(observer), ServerErrorRetryHandler(max_retry_count=1)]
    return WebClient(token="xoxb-test", base_url=base_url, retry_handlers=handlers)


def test_a_refused_call_is_counted_with_slacks_error_code(slack_url: str) -> None:
    """chat.postMessage answered ok:false channel_not_found: one error; auth.test succeeded: none."""
    observer = PrometheusObserver()
    web = client(slack_url, observer)
    web.auth_test()
    with pytest.raises(SlackApiError):
        web.chat_postMessage(channel="C_GONE", text="hello")
    samples = collect(observer.registry)
    assert (
        value(samples, "chatops_slack_api_errors_total", method="chat.postMessage", error="channel_not_found")
        == 1
    )
    assert label_values(samples, "chatops_slack_api_errors_total", "method") == {"chat.postMessage"}


def test_each_refused_attempt_of_a_retried_call_is_counted(slack_url: str) -> None:
    """views.publish answered 500 twice (the call is retried once): two errors, named by the HTTP status."""
    observer = PrometheusObserver()
    with pytest.raises(SlackApiError):
        client(slack_url, observer).views_publish(user_id="U1", view={"type": "home", "blocks": []})
    samples = collect(observer.registry)
    assert value(samples, "chatops_slack_api_errors_total", method="views.publish", error="http_500") == 2


def test_a_call_nobody_answers_is_counted_as_a_connection_error() -> None:
    """Nothing listens on the port: the error is ``connection``."""
    observer = PrometheusObserver()
    web = WebClient(
        token="xoxb-test",
        base_url=f"http://127.0.0.1:{free_port()}/api/",
        retry_handlers=[SlackApiErrorCounter(observer)],
    )
    with pytest.raises(OSError):
        web.auth_test()
    samples = collect(observer.registry)
    assert value(samples, "chatops_slack_api_errors_total", method="auth.test", error="connection") == 1
