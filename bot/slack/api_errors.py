"""Counting the Slack Web API's refusals at the client, wherever in the app the call was made.

slack_sdk shows every answer (and every failed connection) to the client's retry handlers before
it decides to retry or raise, and Bolt copies those handlers into the clients it makes per request.
:class:`SlackApiErrorCounter` is such a handler that never retries: put first in the list, it sees
each attempt and reports the refused ones (``ok: false``, an HTTP error, no answer) by method and
Slack's error code, so no ``except SlackApiError`` site has to count. A call retried after a 429
counts each refused attempt.
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.parse import urlsplit

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState


class SlackErrorSink(Protocol):
    """Where refusals go (:class:`bot.observability.PrometheusObserver`)."""

    def slack_api_error(self, *, method: str, error: str) -> None:
        """One refused call of ``method`` (``chat.postMessage``) with Slack's ``error`` code."""


class SlackApiErrorCounter(RetryHandler):
    """A retry handler that only watches: it reports refused calls and never asks for a retry."""

    def __init__(self, sink: SlackErrorSink) -> None:
        super().__init__(max_retry_count=0)
        self._sink = sink

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Report the attempt if it was refused; always False (the other handlers decide on retries)."""
        code = refusal(response, error=error)
        if code is not None:
            self._sink.slack_api_error(method=method_of(request.url), error=code)
        return False


def method_of(url: str) -> str:
    """The Web API method of a request URL (``…/api/chat.postMessage`` → ``chat.postMessage``)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def refusal(response: HttpResponse | None, *, error: Exception | None) -> str | None:
    """Slack's error code for a refused attempt, ``connection`` when none answered; None when it succeeded."""
    if response is None:
        return "connection" if error is not None else None
    body = _body(response)
    if response.status_code >= 400:
        return str(body.get("error") or f"http_{response.status_code}")
    if body.get("ok") is False:
        return str(body.get("error") or "unknown")
    return None


def _body(response: HttpResponse) -> dict[str, Any]:
    if isinstance(response.body, dict) and response.body:
        return response.body
    try:
        parsed = json.loads(response.data or b"{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
