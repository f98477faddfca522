"""Fixed-window counters in Redis, shared by every bot process: the rates of :mod:`bot.core.limits`.

One key per name and window (``chatops:rate:<name>:<window>``), incremented and given a lifetime of two
windows in one round trip, so counters never outlive their use.
"""

from __future__ import annotations

from redis import Redis


class RedisRateCounter:
    """:class:`bot.core.limits.RateCounter` on Redis."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def hit(self, key: str, *, window_seconds: int, now: float) -> int:
        """Count one more under ``key`` in the window holding ``now``; the count, this one included."""
        name = f"chatops:rate:{key}:{int(now // window_seconds)}"
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, 2 * window_seconds)
            count, _ = pipe.execute()
        return int(count)
