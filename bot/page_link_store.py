"""Link generations of incident pages on Redis: ``chatops:incident:<id>:links`` counts revocations.

A page link carries the generation it was signed at (:mod:`bot.core.page_links`); revoking raises
the counter with one INCR, so every bot process refuses the old links at once.
"""

from __future__ import annotations

from redis import Redis


def _key(incident_id: str) -> str:
    return f"chatops:incident:{incident_id}:links"


class RedisLinkGenerations:
    """:class:`bot.core.page_links.LinkGenerations` on one Redis."""

    def __init__(self, connection: Redis) -> None:
        self._redis = connection

    def generation(self, incident_id: str) -> int:
        """The current generation (0 until the links are first revoked)."""
        raw = self._redis.get(_key(incident_id))
        return int(raw) if isinstance(raw, bytes | str | int) else 0

    def revoke(self, incident_id: str) -> int:
        """Raise the generation; the new one."""
        return int(self._redis.incr(_key(incident_id)))
