"""Socket Mode: the app connects out to Slack over a WebSocket instead of serving HTTP.

Used when ``SLACK_APP_TOKEN`` (an ``xapp-`` token with ``connections:write``) is set, for
workspaces where Slack cannot reach the bot. The connection URL comes from ``apps.connections.open``
through the app's own client, so ``SLACK_API_URL`` applies here too. Retried deliveries carry the
same retry headers as over HTTP, so de-duplication works unchanged.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App


def run_socket_mode(app: App, *, app_token: str) -> None:
    """Connect and handle deliveries until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler: Any = SocketModeHandler(app, app_token=app_token, web_client=app.client)
    handler.start()
