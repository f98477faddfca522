"""Reading the job events stream, for adapters that show progress as it happens."""

from __future__ import annotations

from typing import Any

from redis import Redis

from bot.core.jobevents import EVENTS_STREAM, JobEvent


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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
                events.append(JobEvent.from_fields({_text(k): _text(v) for k, v in fields.items()}))
        return events
