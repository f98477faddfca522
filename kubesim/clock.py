"""Simulated time: a wall clock that can run faster than real time so slow cluster behaviour tests quickly."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Simulated epoch seconds; starts at the real time and advances `speed` times faster than real time.

    Changing `speed` keeps `now()` continuous: time already elapsed is banked at the old rate.
    """

    def __init__(self, *, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._base_sim = time.time()
        self._base_real = time.monotonic()
        self._speed = speed

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError("speed must be positive")
        with self._lock:
            self._base_sim = self.now()
            self._base_real = time.monotonic()
            self._speed = value

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._base_sim + (time.monotonic() - self._base_real) * self._speed

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward (tests of deadlines and ages)."""
        with self._lock:
            self._base_sim += seconds

    def timestamp(self, at: float | None = None) -> str:
        """RFC 3339 UTC with seconds precision, as Kubernetes writes it: `2026-11-28T01:02:03Z`."""
        moment = self.now() if at is None else at
        return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def micro_timestamp(self, at: float | None = None) -> str:
        """RFC 3339 UTC with microseconds, as a MicroTime (a Lease's renewTime, an Event's eventTime)."""
        moment = self.now() if at is None else at
        return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def parse(self, stamp: str) -> float:
        """Epoch seconds of an RFC 3339 timestamp (`Z` or an offset, optional fraction)."""
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of simulated time."""
        time.sleep(max(0.0, seconds) / self._speed)
