"""HTTP mode's front: answer Slack at once, keep the delivery in the inbox, serve health and metrics.

``POST /slack/events`` takes events, slash commands and interactivity alike (Slack posts all three
to one request URL). A body over ``SLACK_MAX_BODY_BYTES`` is refused with 413 before the rest is
read (at once when its ``Content-Length`` says so, else as soon as the stream passes the limit), so
no request can make the front hold more than that. The front checks the signature (wrong, older
than five minutes, with a timestamp header missing or not an integer, or over a body that is not
UTF-8: 401 and nothing is stored), answers Slack's one-off
checks (``url_verification``, ``ssl_check``) itself, stores everything else in the inbox and
answers an empty 200, which is a valid acknowledgement of every kind of request (or 503 when the
inbox is full: no runner has worked for a long while, and Slack tries again later). It does no
other work, so acknowledgements stay fast however busy the runners are. The incident page's routes
(``/incidents/…``), when given, are served beside these. ``GET /healthz`` answers
200 while Redis answers; ``GET /readyz`` also wants a live runner; ``GET /metrics`` serves
Prometheus text (the front's, plus ``extra_metrics`` when given: the runner's, read from its own
port).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.settings import DEFAULT_MAX_BODY_BYTES
from bot.slack.ingress.inbox import Inbox, InboxFull
from bot.slack.metrics import FrontMetrics

EVENTS_PATH = "/slack/events"
_TIMESTAMP_DIGITS = 12
"""Seconds since the epoch fit in 10 digits until the year 2286; more is not Slack."""
log = logging.getLogger(__name__)


def build_front(
    *,
    signing_secret: str,
    inbox: Inbox,
    metrics: FrontMetrics,
    healthy: Callable[[], bool] | None = None,
    extra_metrics: Callable[[], bytes] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app of HTTP mode; ``healthy`` decides what ``/healthz`` says (default: always fine).

    ``pages`` are the incident page's routes (:mod:`bot.web.app`), served beside Slack's.
    """
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        body = await read_capped(request, limit=max_body_bytes)
        if body is None:
            response: Response = PlainTextResponse("too large", status_code=413)
        else:
            response = await run_in_threadpool(_take, verifier, inbox, body, dict(request.headers))
        metrics.request_seconds.observe(time.perf_counter() - started)
        metrics.requests.labels(status=str(response.status_code)).inc()
        return response

    async def healthz(_request: Request) -> Response:
        ok = healthy is None or await run_in_threadpool(healthy)
        return PlainTextResponse("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    async def readyz(_request: Request) -> Response:
        ok = (healthy is None or await run_in_threadpool(healthy)) and (
            await run_in_threadpool(inbox.runners_alive) > 0
        )
        return PlainTextResponse("ready" if ok else "not ready", status_code=200 if ok else 503)

    async def prometheus(_request: Request) -> Response:
        metrics.inbox_depth.set(await run_in_threadpool(inbox.depth))
        text = generate_latest(metrics.registry)
        if extra_metrics is not None:
            text += await run_in_threadpool(extra_metrics)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
            *pages,
        ]
    )


async def read_capped(request: Request, *, limit: int) -> bytes | None:
    """The request's body, or None as soon as it is known to be over ``limit`` bytes.

    A ``Content-Length`` over the limit is refused before a byte is read; a body without one
    (chunked) is read as it comes and dropped once past the limit, so the front never holds more
    than ``limit`` bytes of a request whatever it announces or sends.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _take(verifier: SignatureVerifier, inbox: Inbox, body: bytes, headers: dict[str, str]) -> Response:
    """Verify, answer Slack's checks, store the rest; the HTTP answer."""
    if _is_ssl_check(body, content_type=headers.get("content-type", "")):
        return Response(b"", status_code=200)  # Slack probing the certificate: nothing to do
    timestamp = headers.get("x-slack-request-timestamp", "")
    if (
        not _is_timestamp(timestamp)
        or not _is_utf8(body)
        or not verifier.is_valid(
            body=body, timestamp=timestamp, signature=headers.get("x-slack-signature", "")
        )
    ):
        return PlainTextResponse("invalid request", status_code=401)
    check = _slack_check(body, content_type=headers.get("content-type", ""))
    if check is not None:
        return check
    try:
        inbox.put(body, headers)
    except InboxFull:
        log.error("the Slack inbox is full (%d waiting): is any runner working?", inbox.max_waiting)
        return PlainTextResponse("busy, try again later", status_code=503)
    return Response(b"", status_code=200)


def _is_timestamp(header: str) -> bool:
    """Whether ``header`` is what Slack sends: seconds since the epoch in ASCII digits.

    Anything else (missing, empty, signed, spaced, non-ASCII digits, absurdly long) is refused
    before the verifier sees it, which would otherwise raise on ``int()`` and answer 500.
    """
    return 0 < len(header) <= _TIMESTAMP_DIGITS and header.isascii() and header.isdigit()


def _is_utf8(body: bytes) -> bool:
    """Whether ``body`` is UTF-8, as everything Slack sends is; the verifier would raise on anything else."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_ssl_check(body: bytes, *, content_type: str) -> bool:
    if not content_type.startswith("application/x-www-form-urlencoded") or len(body) > 4096:
        return False
    return parse_qs(body.decode("utf-8", errors="replace")).get("ssl_check") == ["1"]


def _slack_check(body: bytes, *, content_type: str) -> Response | None:
    """Slack's URL verification (echo the challenge), or None for real work (not parsed here: Bolt will)."""
    if content_type.startswith("application/json") and b"url_verification" in body:
        try:
            payload = json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return JSONResponse({"challenge": payload.get("challenge", "")})
    return None
