"""A clock a test moves by hand, for the parts of the app that take a ``clock`` callable."""

from __future__ import annotations


class ManualClock:
    """Returns ``now``, which only the test changes."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
