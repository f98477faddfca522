"""Job events onto the timeline: the timeline's own consumer group on the job events stream.

Workers publish job events on one stream (:data:`~shared.jobevents.EVENTS_STREAM`), the one bus:
the Slack cards and the console render from it, and the timeline records from it, each reader in
its own consumer group, so none depends on another. The recorder belongs with the engine (it is
built beside it in :mod:`bot.wiring`), not with a chat adapter.

An event is acknowledged only once its entry is on the timeline. When the timeline store fails, the
recorder acknowledges what it appended, goes back to the first event it could not append and tries
again later, in order: a timeline outage delays entries and never loses them. A redelivered event
(a retry, or a recorder that died between appending and acknowledging) is recorded once, since the
entry's id is derived from the event (:func:`~bot.core.timeline.job_event_entry`).

What is not lost is bounded by the stream's own cap (``workers.report.STREAM_MAX_LENGTH``): an outage
long enough for that many newer events trims the oldest unacknowledged ones.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from redis import Redis

from bot.core.rechecks import is_recheck
from bot.core.timeline import Appended, Entry, job_event_entry
from bot.events import CLAIM_AFTER_MS, EventGroup
from shared.background import Loop
from shared.jobevents import JobEvent

TIMELINE_GROUP = "chatops-timeline"
"""The consumer group of the timeline on the job events stream."""

DEFAULT_RETRY_SECONDS = 1.0
"""How long the recorder waits after a failed append before trying the same event again."""

log = logging.getLogger(__name__)


class Appends(Protocol):
    """Where entries are recorded (:class:`~bot.timeline_store.TimelineStore`)."""

    def append(self, entry: Entry, /) -> Appended: ...


class RecorderObserver(Protocol):
    """Where the recorder reports its progress (:class:`~bot.observability.PrometheusObserver`)."""

    def events_recorded(self, count: int) -> None: ...

    def append_failed(self) -> None: ...


class NoRecorderObserver:
    """The observer of a recorder nobody watches."""

    def events_recorded(self, count: int) -> None:
        """Drop the report."""

    def append_failed(self) -> None:
        """Drop the report."""


def event_entry(event: JobEvent) -> Entry:
    """The timeline entry of a job event (the same event gives the same entry id).

    A pending request's re-check (:mod:`bot.core.rechecks`) is left out: it runs every minute and
    changes nothing, and what it finds is recorded as the request's answer.
    """
    return job_event_entry(event, actor=event.user or "worker", cluster=event.cluster)


class TimelineRecorder:
    """Reads the job events in the timeline's group and appends each one before acknowledging it."""

    def __init__(
        self,
        connection: Redis,
        *,
        timeline: Appends,
        consumer: str,
        group: str = TIMELINE_GROUP,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        claim_after_ms: int = CLAIM_AFTER_MS,
        observer: RecorderObserver | None = None,
    ) -> None:
        """Join ``group`` as ``consumer``; a new group starts at the oldest event still on the stream.

        Events another recorder was given and left unacknowledged for ``claim_after_ms`` (it died, or
        its pod was replaced by one of another name) are taken over: at the first read, after a
        failure, and every ``claim_after_ms`` while running.
        """
        self._events = EventGroup(
            connection, group=group, consumer=consumer, start="0", claim_after_ms=claim_after_ms
        )
        self._timeline = timeline
        self._retry_seconds = retry_seconds
        self._claim_seconds = claim_after_ms / 1000
        self._observer = observer or NoRecorderObserver()
        self._lock = threading.Lock()
        self._claimed = time.monotonic()
        self._loop = Loop(
            self._claim_and_step,
            name="timeline-recorder",
            logger=log,
            failure="timeline recorder: the store failed; the events stay pending",
            after_failure=retry_seconds,
            expected=(Exception,),  # an outage of the store: the events wait, unacknowledged
        )

    def step(self, *, block_ms: int | None = None, count: int = 100) -> int:
        """Read one batch and record it; the number of stream entries handled (0: nothing was waiting).

        Raises what the store raised when an append failed, after acknowledging the events before it;
        that event and those after it are read again at the next step.
        """
        with self._lock:
            batch = self._events.read(block_ms=block_ms, count=count)
            handled: list[str] = []
            try:
                try:
                    for delivered in batch:
                        if delivered.event is not None and not is_recheck(delivered.event):
                            self._timeline.append(event_entry(delivered.event))
                        handled.append(delivered.entry_id)
                finally:
                    self._events.ack(handled)
            except Exception:  # the store or the acknowledgement failed: read the pending events again
                self._events.rewind()
                self._observer.append_failed()
                raise
            if handled:
                self._observer.events_recorded(len(handled))
            return len(batch)

    def drain(self) -> bool:
        """Record every event waiting now; False if the store failed (the rest waits for a later try)."""
        try:
            while self.step(count=500):
                pass
        except Exception as error:
            log.warning("timeline recorder: %r; the events stay pending", error)
            return False
        return True

    def run(self) -> None:
        """Record events until :meth:`stop`, waiting ``retry_seconds`` after each failure."""
        self._loop.run()

    def _claim_and_step(self) -> None:
        if time.monotonic() - self._claimed >= self._claim_seconds:
            self._events.rewind()  # the next read takes over what a dead recorder left
            self._claimed = time.monotonic()
        self.step(block_ms=200)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._loop.start()

    def stop(self) -> None:
        """Stop the thread after its current read."""
        self._loop.stop(timeout=5)
