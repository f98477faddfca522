"""HTTP mode: an ASGI app with Slack's endpoint, a health check and metrics, served by uvicorn.

``POST /slack/events`` takes events, slash commands and interactivity alike (Slack posts all three
to the one request URL). The sync Bolt app runs in a worker thread (``run_in_threadpool``), not on the
event loop, so a slow listener's ``ack`` never holds up other requests. ``GET /healthz`` answers 200
while the app's dependencies answer, and ``GET /metrics`` serves Prometheus text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.slack.metrics import SlackMetrics

EVENTS_PATH = "/slack/events"


def build_asgi(app: App, *, metrics: SlackMetrics, healthy: Callable[[], bool] | None = None) -> Starlette:
    """The ASGI app serving ``app``; ``healthy`` decides what ``/healthz`` says (default: always fine)."""

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()
        answer = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        response = to_starlette_response(answer)
        metrics.request_seconds.observe(time.perf_counter() - started)
        metrics.requests.labels(status=str(response.status_code)).inc()
        return response

    async def healthz(_request: Request) -> Response:
        ok = healthy is None or await run_in_threadpool(healthy)
        return PlainTextResponse("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    async def prometheus(_request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ]
    )


def server_config(asgi: Starlette, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn settings: plain HTTP/1.1, no WebSockets, no lifespan, quiet access log."""
    return uvicorn.Config(
        asgi, host=host, port=port, lifespan="off", ws="none", log_level="warning", access_log=False
    )


def serve(asgi: Starlette, *, host: str, port: int) -> None:
    """Serve ``asgi`` until interrupted (Ctrl-C or SIGTERM)."""
    uvicorn.Server(server_config(asgi, host=host, port=port)).run()


class ServerThread:
    """uvicorn serving an ASGI app from a background thread, as a context manager (tests, benchmarks)."""

    def __init__(self, asgi: Starlette, *, host: str = "127.0.0.1", port: int) -> None:
        self.host = host
        self.port = port
        self._server = uvicorn.Server(server_config(asgi, host=host, port=port))
        self._thread = threading.Thread(target=self._server.run, name="slack-http", daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self, *, timeout: float = 10.0) -> None:
        """Start serving and wait until the port is open."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the Slack app's HTTP server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(10.0)

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
