"""The peer of the Slack acknowledgement benchmark: a bare Bolt app with a no-op mention listener.

Served exactly like ours (Starlette + uvicorn, the Bolt app dispatched on a worker thread), so the
ratio measures what our listeners add: de-duplication, parsing, the policy, the enqueue, and the
:eyes: reaction. Run as ``python -m benchmarks.bare_bolt PORT SLACK_API_URL SIGNING_SECRET``.
"""

from __future__ import annotations

import sys

from slack_bolt import App

from bot.slack.app import build_web_client
from bot.slack.metrics import SlackMetrics
from bot.slack.server import build_asgi, serve


def main(argv: list[str]) -> int:
    """Serve the bare app until killed."""
    port, api_url, secret = int(argv[0]), argv[1], argv[2]
    app = App(client=build_web_client(token="xoxb-bench", base_url=api_url), signing_secret=secret)

    @app.event("app_mention")
    def ignore() -> None:
        """Acknowledged by Bolt before this runs; does nothing."""

    serve(build_asgi(app, metrics=SlackMetrics()), host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
