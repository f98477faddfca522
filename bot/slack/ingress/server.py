"""Serving an ASGI app with uvicorn: in the foreground (``chatops bot``) or from a thread (tests).

What is served is built elsewhere: the front that answers Slack (:mod:`bot.slack.ingress.front`) and the
runner's own small metrics app (:mod:`bot.slack.run`).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette


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
