"""The peer of the Slack acknowledgement benchmark: a bare Bolt app with a no-op mention listener.

Served by the same Starlette + uvicorn as ours, with the Bolt app dispatched on a worker thread (the
way Bolt's own Starlette adapter serves a sync app), so the ratio measures what answering Slack costs
us (our front verifies the signature and stores the delivery in Redis before answering) against
what it costs Bolt with a listener that does nothing. Run as ``python -m benchmarks.bare_bolt PORT SLACK_API_URL SIGNING_SECRET``.
"""

from __future__ import annotations

import sys

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.slack.app import build_web_client
from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.ingress.server import serve


def bolt_asgi(app: App) -> Starlette:
    """``app`` served directly: Slack's endpoint dispatched to Bolt on a worker thread, and /healthz."""

    async def events(request: Request) -> Response:
        body = await request.body()
        answer = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(answer)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


def main(argv: list[str]) -> int:
    """Serve the bare app until killed."""
    port, api_url, secret = int(argv[0]), argv[1], argv[2]
    app = App(client=build_web_client(token="xoxb-bench", base_url=api_url), signing_secret=secret)

    @app.event("app_mention")
    def ignore() -> None:
        """Acknowledged by Bolt before this runs; does nothing."""

    serve(bolt_asgi(app), host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
