"""Freezes in Redis: one key per cluster (:func:`shared.freezes.freeze_key`), gone at its ``--until``."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from shared.freezes import Freeze, freeze_key


class RedisFreezes:
    """The freezes of every cluster, on one Redis."""

    def __init__(self, connection: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self._connection = connection
        self._clock = clock

    def get(self, cluster: str) -> Freeze | None:
        """The freeze holding ``cluster`` now, if any."""
        found = Freeze.from_text(self._connection.get(freeze_key(cluster)))
        return found if found is not None and found.holds(self._clock()) else None

    def put(self, freeze: Freeze) -> bool:
        """Freeze a cluster unless it is frozen already (False then)."""
        if self.get(freeze.cluster) is not None:
            return False
        self._connection.set(freeze_key(freeze.cluster), freeze.to_text())
        return True

    def clear(self, cluster: str) -> Freeze | None:
        """Unfreeze ``cluster``; the freeze that held it, if any."""
        found = self.get(cluster)
        self._connection.delete(freeze_key(cluster))
        return found
