"""What every simulated controller looks like, and the helpers they share for racing with API clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from kubesim.errors import ApiError

if TYPE_CHECKING:
    from kubesim.store import Store


class Controller(Protocol):
    """One reconcile loop. `sync` makes the store agree with the specs a step at a time.

    It returns the simulated time at which it next needs to run even if nothing is written (a readiness
    delay, a grace period, a progress deadline), or None when only a store write can give it work.

    `observe` sees every committed store write (with the store's lock held: it only records keys in the
    controller's work queue), so that `sync` reconciles what changed rather than every object.
    """

    name: str

    def sync(self, now: float) -> float | None: ...

    def observe(self, event: str, resource: str, obj: dict[str, Any]) -> None: ...


def earliest(*moments: float | None) -> float | None:
    """The soonest of some optional wake-up times."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


@contextmanager
def tolerate_races() -> Iterator[None]:
    """Skip an object that an API client deleted or changed under us, or a write the server refuses (a
    namespace being terminated, an invalid template): the next pass sees the new state."""
    try:
        yield
    except ApiError as error:
        if error.code not in (403, 404, 409, 422):
            raise


def peek_or_none(store: Store, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    """The stored object itself (read-only, never mutate it), or None when it does not exist."""
    try:
        return store.peek(resource, namespace or None, name)
    except ApiError as error:
        if error.code != 404:
            raise
        return None
