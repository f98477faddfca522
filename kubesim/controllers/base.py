"""What every simulated controller looks like, and the helpers they share for racing with API clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from kubesim.errors import ApiError


class Controller(Protocol):
    """One reconcile loop. `sync` makes the store agree with the specs a step at a time.

    It returns the simulated time at which it next needs to run even if nothing is written (a readiness
    delay, a grace period, a progress deadline), or None when only a store write can give it work.
    """

    name: str

    def sync(self, now: float) -> float | None: ...


def earliest(*moments: float | None) -> float | None:
    """The soonest of some optional wake-up times."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


@contextmanager
def tolerate_races() -> Iterator[None]:
    """Skip an object that an API client deleted or changed under us; the next pass sees the new state."""
    try:
        yield
    except ApiError as error:
        if error.code not in (404, 409):
            raise
