"""Running a job function the way a worker does, in-process: RQ executes it synchronously on a fake Redis,
so the ``@job`` envelope (start, progress, failure events) runs for real and the test reads the events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import fakeredis
from rq import Queue
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from shared.jobevents import EVENTS_STREAM, EventKind


@dataclass(frozen=True)
class Event:
    """One event the job published."""

    kind: EventKind
    text: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """How a job ended and what it said."""

    succeeded: bool
    result: dict[str, Any]
    events: tuple[Event, ...]

    def texts(self, kind: EventKind | None = None) -> list[str]:
        """The texts of the events, optionally of one kind only."""
        return [event.text for event in self.events if kind is None or event.kind == kind]

    @property
    def failure(self) -> str:
        """The text of the failed event ("" if the job did not fail)."""
        return "\n".join(self.texts(EventKind.FAILED))


def _event(fields: dict[str, str]) -> Event:
    return Event(
        kind=EventKind(fields["kind"]), text=fields["text"], details=json.loads(fields["details"] or "{}")
    )


def run_job(function: str, *, job_id: str = "job-test", **kwargs: Any) -> Outcome:
    """Run ``workers.jobs.<function>`` (or any dotted path) with JSON kwargs, as RQ would, and collect its events."""
    connection = fakeredis.FakeRedis()
    queue = Queue("test", connection=connection, is_async=False, serializer=JSONSerializer)
    request = {"job_id": job_id, "user": "U1", "channel": "C1", "thread_ts": "1.0", "cluster": "test"}
    path = function if "." in function else f"workers.jobs.{function}"
    job = queue.enqueue(path, kwargs={**kwargs, "request": request}, job_id=job_id)
    entries: list[Any] = list(connection.xrange(EVENTS_STREAM) or [])
    events = tuple(
        _event({key.decode(): value.decode() for key, value in fields.items()}) for _, fields in entries
    )
    succeeded = job.get_status() == JobStatus.FINISHED
    result = job.return_value() if succeeded else None
    return Outcome(succeeded=succeeded, result=result or {}, events=events)
