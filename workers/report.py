"""Telling the requester what a job is doing: events on the job events stream, and cancellation checks.

Each job gets a :class:`Reporter` bound to its request (who asked, where to answer). Adapters read
the stream and show the events in the request's thread.
"""

from __future__ import annotations

import time
from typing import Any

from redis import Redis

from bot.core.jobevents import EVENTS_STREAM, EventKind, JobEvent, RequestContext
from bot.core.jobs import cancel_flag_key

STREAM_MAX_LENGTH = 100_000
"""Approximate cap on the events stream; the incident timeline keeps the permanent record."""


class Reporter:
    """Publishes one job's events."""

    def __init__(self, connection: Redis, request: RequestContext) -> None:
        self._connection = connection
        self.request = request

    @property
    def connection(self) -> Redis:
        """The Redis connection of the job (locks and records that live beside the events)."""
        return self._connection

    def emit(self, kind: EventKind, text: str, **details: Any) -> None:
        """Publish one event for this job."""
        event = JobEvent(
            job_id=self.request.job_id,
            kind=kind,
            text=text,
            channel=self.request.channel,
            thread_ts=self.request.thread_ts,
            at=time.time(),
            details=details,
        )
        fields: dict[Any, Any] = dict(event.to_fields())
        self._connection.xadd(EVENTS_STREAM, fields, maxlen=STREAM_MAX_LENGTH, approximate=True)

    def progress(self, text: str, **details: Any) -> None:
        """Say what the job is doing now."""
        self.emit(EventKind.PROGRESS, text, **details)

    def emit_plan(self, text: str, **details: Any) -> None:
        """Say what the job would do (dry runs and plans shown before acting)."""
        self.emit(EventKind.PLAN, text, **details)

    def warning(self, text: str, **details: Any) -> None:
        """Say something the requester must know, such as what a step will lose."""
        self.emit(EventKind.WARNING, text, **details)

    def cancel_requested(self) -> bool:
        """True once somebody asked to cancel this job; jobs check it between steps."""
        return bool(self._connection.exists(cancel_flag_key(self.request.job_id)))
