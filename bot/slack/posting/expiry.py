"""Expiring approval requests on time, even when nobody writes in their threads, and re-checking the
plans of those still pending (:mod:`bot.core.rechecks`).

A request past its deadline must stop blocking its job and say so where it was asked. The engine
knows which are due (:meth:`~bot.core.conversation.Engine.expire_due`); :class:`ExpiryLoop` asks it
every few seconds from a daemon thread and shows each expiry (the request's message loses its
buttons, and a notice goes to its thread). Tests call :meth:`ExpiryLoop.tick` or start and stop it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.core.conversation import Engine
from bot.core.rechecks import RECHECK_INTERVAL_SECONDS
from bot.slack.posting.replies import ReplyPoster
from shared.background import Loop

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
        recheck_interval: float = RECHECK_INTERVAL_SECONDS,
    ) -> None:
        self._engine = engine
        self._recheck_interval = recheck_interval
        self._replies = replies
        self._client = client
        self._loop = Loop(
            self.tick,
            name="approval-expiry",
            logger=log,
            failure="approval expiry failed",  # Redis away for a moment: tried again next time
            every=interval,
            after_failure=interval,
            wait_first=True,
        )

    def tick(self) -> int:
        """Expire what is due now and post about it, and queue this round's re-checks of the pending
        requests (their outcome comes back as job events); returns how many requests expired."""
        replies = self._engine.expire_due()
        try:
            self._engine.recheck_pending(interval=self._recheck_interval)
        except Exception:  # a re-check not queued now is queued next round
            log.exception("re-checking pending requests failed; trying next round")
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
        self._loop.run()

    def start(self) -> None:
        """Run in a daemon thread."""
        self._loop.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the thread started by :meth:`start`."""
        self._loop.stop(timeout=timeout)
