"""The watch cache: the last events of every resource, for watches that resume from a resourceVersion and
for exact lists (`kubesim.snapshots`).

Each resource keeps between `limit` and twice `limit` events; older ones are compacted away, as etcd and
the API server's cacher forget them, so a client that falls behind under churn gets 410 Gone and relists.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from kubesim import errors, snapshots
from kubesim.records import Event


class WatchCache:
    """A window of committed events per resource, with the version each window now starts after."""

    def __init__(self, resources: Iterable[str], *, limit: int) -> None:
        self.limit = limit
        self._history: dict[str, list[Event]] = {r: [] for r in resources}
        self._compacted: dict[str, int] = dict.fromkeys(self._history, 0)
        self._oldest = 0
        """No exact list before this version (the last `compact`)."""

    def add(self, resource: str) -> None:
        """Keep a window for one more resource (kept as it is if already kept)."""
        self._history.setdefault(resource, [])
        self._compacted.setdefault(resource, 0)

    def record(self, event: Event) -> None:
        """Keep one committed event; trim the window back to `limit` once it holds twice that."""
        history = self._history[event.resource]
        history.append(event)
        if len(history) > 2 * self.limit:
            dropped = len(history) - self.limit
            self._compacted[event.resource] = history[dropped - 1].resource_version
            del history[:dropped]

    def since(self, resource: str, version: int) -> list[Event]:
        """The events after `version`, oldest first; 410 Expired when the window no longer reaches it."""
        if version < self._compacted[resource]:
            raise errors.expired(f"too old resource version: {version} ({self._compacted[resource] + 1})")
        return self._after(resource, version)

    def undo_since(self, resource: str, version: int) -> list[Event]:
        """The events to undo to see a resource as it was at `version` (an exact list); 410 when too old."""
        if version < self._compacted[resource] or version < self._oldest:
            raise snapshots.too_old()
        return self._after(resource, version)

    def _after(self, resource: str, version: int) -> list[Event]:
        history = self._history[resource]
        return history[bisect.bisect_right(history, version, key=lambda e: e.resource_version) :]

    def compact(self, version: int) -> None:
        """Forget every event up to `version`, as an etcd compaction does."""
        self._oldest = version
        for resource, history in self._history.items():
            history.clear()
            self._compacted[resource] = version
