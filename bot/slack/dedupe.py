"""Running each chat command once, however many times Slack delivers it.

Slack retries a delivery it thinks failed (``X-Slack-Retry-Num``), and a mention in a channel the
bot reads arrives twice: as ``app_mention`` and as ``message``, with different event ids. Both carry
the same channel and message ``ts``, so the first delivery claims that pair in Redis (``SET NX`` with
an expiry) and the others find it taken. Redis makes the claim hold across several bot processes.

A claim names its owner, the inbox delivery that made it: when a runner dies half-way through a
delivery and another runs that same delivery again, the claim is still its own and the work is
finished rather than dropped as a duplicate; once the work is finished the claim says so, and nobody
runs it again.
"""

from __future__ import annotations

from redis import Redis

DEFAULT_TTL_SECONDS = 86_400
"""How long a claim is kept: far longer than Slack's retries (minutes)."""

KEY_PREFIX = "chatops:slack:seen"
DONE = "done"


class Deduplicator:
    """Claims ``(channel, ts)`` pairs; only the first claim of a pair succeeds."""

    def __init__(self, connection: Redis, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._connection = connection
        self._ttl_seconds = ttl_seconds

    def claim(self, *, channel: str, ts: str, owner: str | None = None) -> bool:
        """True the first time ``(channel, ts)`` is claimed (or again by the same ``owner``), else False."""
        key = self._key(channel, ts)
        if self._connection.set(key, owner or "1", nx=True, ex=self._ttl_seconds):
            return True
        if owner is None:
            return False
        held = self._connection.get(key)
        return held in (owner, owner.encode())

    def finish(self, *, channel: str, ts: str) -> None:
        """The claim's work is done: no owner may run it again (the claim keeps its expiry)."""
        self._connection.set(self._key(channel, ts), DONE, keepttl=True)

    def release(self, *, channel: str, ts: str) -> None:
        """Forget a claim, so a retry can run a delivery whose handling crashed."""
        self._connection.delete(self._key(channel, ts))

    @staticmethod
    def _key(channel: str, ts: str) -> str:
        return f"{KEY_PREFIX}:{channel}:{ts}"
