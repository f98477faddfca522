"""Reading the job events stream, for adapters that show progress as it happens.

Two readers share one interface (``read(block_ms=…, count=…) -> list[JobEvent]``):

* :class:`EventFeed` follows the stream from a point, for one-off readers such as the console;
* :class:`GroupEventFeed` reads through a Redis consumer group, for the bot: a restarted bot
  resumes where it stopped, first re-reading what it had been given but not finished, and several
  bot processes share the events instead of each posting them. A batch is acknowledged when the
  next one is asked for, that is once the caller has handled it; a crash in between hands the batch
  over again (card updates and timeline appends are idempotent, so nothing is posted twice).
"""

from __future__ import annotations

from typing import Any

from redis import Redis

from bot.core.jobevents import EVENTS_STREAM, JobEvent
from bot.stream_groups import ensure_group, recreating

DEFAULT_GROUP = "chatops-bot"
"""The consumer group of the Slack bot's processes."""

CLAIM_AFTER_MS = 60_000
"""How long an event may stay unacknowledged by another consumer before this one takes it over."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _event(fields: Any) -> JobEvent:
    return JobEvent.from_fields({_text(k): _text(v) for k, v in fields.items()})


class EventFeed:
    """A cursor over the job events stream; each call returns what arrived since the last one."""

    def __init__(self, connection: Redis, *, start: str | None = None) -> None:
        """Start after ``start`` (a stream id), or after the newest event when None."""
        self._connection = connection
        if start is None:
            latest: Any = connection.xrevrange(EVENTS_STREAM, count=1)
            start = _text(latest[0][0]) if latest else "0-0"
        self._last_id = start

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """Return new events, waiting up to ``block_ms`` for the first one (None: don't wait)."""
        answer: Any = self._connection.xread({EVENTS_STREAM: self._last_id}, count=count, block=block_ms)
        events: list[JobEvent] = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                self._last_id = _text(entry_id)
                events.append(_event(fields))
        return events


class GroupEventFeed:
    """Job events through a consumer group: resumable after a restart, shared between processes."""

    def __init__(
        self,
        connection: Redis,
        *,
        consumer: str,
        group: str = DEFAULT_GROUP,
        start: str = "$",
        claim_after_ms: int = CLAIM_AFTER_MS,
    ) -> None:
        """Join ``group`` as ``consumer`` (a name per bot process); a new group starts at ``start``.

        Events another consumer was given but left unacknowledged for ``claim_after_ms`` (a bot that
        died, or was replaced by a pod with another name) are taken over at the first read.
        """
        self._connection = connection
        self._claim_after_ms = claim_after_ms
        self._group = group
        self._consumer = consumer
        self._unacked: list[str] = []
        self._backlog = True
        ensure_group(connection, EVENTS_STREAM, group, start=start)

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """Acknowledge the previous batch, then return this consumer's unfinished events, then new ones."""
        self.ack()
        if self._backlog:
            recreating(
                lambda: self._connection.xautoclaim(
                    EVENTS_STREAM, self._group, self._consumer, min_idle_time=self._claim_after_ms, count=1000
                ),
                redis=self._connection,
                stream=EVENTS_STREAM,
                group=self._group,
            )
            events = self._read("0", count=count, block_ms=None)
            if events:
                return events
            self._backlog = False
        return self._read(">", count=count, block_ms=block_ms)

    def ack(self) -> None:
        """Mark the last batch handled."""
        if self._unacked:
            self._connection.xack(EVENTS_STREAM, self._group, *self._unacked)
            self._unacked = []

    def _read(self, start: str, *, count: int, block_ms: int | None) -> list[JobEvent]:
        answer: Any = recreating(
            lambda: self._connection.xreadgroup(
                self._group, self._consumer, {EVENTS_STREAM: start}, count=count, block=block_ms
            ),
            redis=self._connection,
            stream=EVENTS_STREAM,
            group=self._group,
        )
        events: list[JobEvent] = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                self._unacked.append(_text(entry_id))
                if fields:  # a pending entry trimmed from the stream comes back empty
                    events.append(_event(fields))
        return events
