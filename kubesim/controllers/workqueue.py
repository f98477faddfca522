"""Work queues: what each controller must look at again, so a pass costs what changed, not the cluster's size.

A controller feeds its queue from store events (`ControllerManager` forwards every committed write to each
controller's `observe`), from fault changes and from its own timers ("look at this pod again when it is due
to turn Ready"). A new queue starts out asking for everything: the first pass reconciles the whole store, as
a controller does after its informers' initial list, and later passes only the keys written since.

Queues are filled from store listeners, which run with the store's lock held on whichever thread wrote, so
the queue's own lock is held only for set operations and never while calling into the store.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

Key = tuple[str, str]
"""(namespace or "", name) of one object."""


@dataclass(frozen=True)
class Batch(Generic[K]):
    """What one pass must reconcile: everything (after start-up), or only `keys`."""

    everything: bool
    keys: frozenset[K] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.everything or bool(self.keys)


class WorkQueue(Generic[K]):
    """A thread-safe set of dirty keys plus per-key wake-up times, drained once per pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._everything = True
        self._dirty: set[K] = set()
        self._timers: dict[K, float] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._sequence = 0

    @property
    def wants_everything(self) -> bool:
        """True until the next `take`: single keys need not be recorded meanwhile."""
        return self._everything

    def add(self, key: K) -> None:
        """Reconcile `key` on the next pass."""
        if self._everything:
            return
        with self._lock:
            self._dirty.add(key)

    def add_all(self, keys: set[K] | frozenset[K] | list[K]) -> None:
        """Reconcile these keys on the next pass."""
        if self._everything or not keys:
            return
        with self._lock:
            self._dirty.update(keys)

    def add_everything(self) -> None:
        """Reconcile every object on the next pass (a resync)."""
        with self._lock:
            self._everything = True
            self._dirty.clear()

    def wake_at(self, key: K, moment: float | None) -> None:
        """Reconcile `key` again once simulated time reaches `moment` (None cancels its timer)."""
        with self._lock:
            if moment is None:
                self._timers.pop(key, None)
                return
            if self._timers.get(key) == moment:
                return
            self._timers[key] = moment
            self._sequence += 1
            heapq.heappush(self._heap, (moment, self._sequence, key))

    def take(self, now: float) -> Batch[K]:
        """Drain the queue: the dirty keys plus every key whose timer is due; their timers are dropped
        (reconciling a key sets its next timer again if it still needs one)."""
        with self._lock:
            heap, timers = self._heap, self._timers
            while heap and heap[0][0] <= now:
                moment, _, key = heapq.heappop(heap)
                if timers.get(key) == moment:
                    del timers[key]
                    self._dirty.add(key)
            everything, keys = self._everything, frozenset(self._dirty)
            self._everything = False
            self._dirty = set()
            for key in keys:
                timers.pop(key, None)
            if everything:
                timers.clear()
                heap.clear()
            return Batch(everything, keys)

    def requeue(self, batch: Batch[K]) -> None:
        """Put back a batch whose pass failed, so the next pass retries it."""
        if batch.everything:
            self.add_everything()
        else:
            self.add_all(batch.keys)

    def next_wake(self) -> float | None:
        """The earliest pending timer, if any."""
        with self._lock:
            heap, timers = self._heap, self._timers
            while heap and timers.get(heap[0][2]) != heap[0][0]:
                heapq.heappop(heap)
            return heap[0][0] if heap else None

    def queued(self) -> frozenset[K]:
        """The keys waiting for the next pass (without timers); for tests and introspection."""
        with self._lock:
            return frozenset(self._dirty)


def object_key(obj: dict[str, object]) -> Key:
    """The queue key of a stored object."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return ("", "")
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))


def controller_key(obj: dict[str, object], kind: str) -> Key | None:
    """The key of the object's controller when that controller is of `kind` (same namespace)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for ref in metadata.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            if ref.get("kind") != kind:
                return None
            return (str(metadata.get("namespace") or ""), str(ref.get("name") or ""))
    return None


def has_controller(obj: dict[str, object]) -> bool:
    """True when some ownerReference has `controller: true`."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return False
    return any(
        isinstance(ref, dict) and ref.get("controller") for ref in metadata.get("ownerReferences") or []
    )
