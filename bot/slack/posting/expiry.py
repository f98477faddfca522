"""Expiring approval requests on time, even when nobody writes in their threads.

A request past its deadline must stop blocking its job and say so where it was asked. The engine
knows which are due (:meth:`~bot.core.conversation.Engine.expire_due`); :class:`ExpiryLoop` asks it
every few seconds from a daemon thread and shows each expiry (the request's message loses its
buttons, and a notice goes to its thread). Tests call :meth:`ExpiryLoop.tick` or start and stop it.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.core.conversation import Engine
from bot.slack.posting.replies import ReplyPoster

DEFAULT_EXPIRY_INTERVAL_SECONDS = 5.0
"""How often due requests are looked for: an expiry shows at most this late."""

log = logging.getLogger(__name__)


class ExpiryLoop:
    """Expires due approval requests and posts what the engine says about them."""

    def __init__(
        self,
        *,
        engine: Engine,
        replies: ReplyPoster,
        client: WebClient,
        interval: float = DEFAULT_EXPIRY_INTERVAL_SECONDS,
    ) -> None:
        self._engine = engine
        self._replies = replies
        self._client = client
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """Expire what is due now and post about it; returns how many requests expired."""
        replies = self._engine.expire_due()
        for reply in replies:
            channel = reply.channel or (reply.approval.channel if reply.approval is not None else None)
            if channel is None:
                log.error("expiry notice without a channel: %s", reply.text)
                continue
            try:
                self._replies.post(self._client, reply, channel=channel)
            except Exception:  # one notice Slack refused must not hold back the others
                log.exception("expiry notice for %s could not be posted", channel)
        return len(replies)

    def run(self) -> None:
        """Tick every ``interval`` seconds until :meth:`stop`; errors are logged and the loop goes on."""
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception:  # Redis away for a moment: try again next time
                log.exception("approval expiry failed; retrying")

    def start(self) -> None:
        """Run in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="approval-expiry", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the thread started by :meth:`start`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
