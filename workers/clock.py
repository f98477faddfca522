"""The workers' clock for windows and freezes: the wall clock, or one a test moves by hand.

Jobs ask :func:`now` whether their window is still open (at start, and between nodes); a test that
runs jobs in its own process says which clock to read with :func:`configure`, as it says which
cluster to act on with :func:`workers.cluster.configure`. Forked workers inherit it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_clock: list[Callable[[], float]] = [time.time]


def configure(clock: Callable[[], float] = time.time) -> None:
    """Read ``clock`` from now on (the wall clock when called without one)."""
    _clock[0] = clock


def now() -> float:
    """The time, in unix seconds, by the configured clock."""
    return _clock[0]()
