"""Telling the requester what a job is doing: events on the job events stream, and cancellation checks.

Each job gets a :class:`Reporter` bound to its request (who asked, where to answer). Adapters read
the stream and show the events in the request's thread.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from redis import Redis

from shared.jobevents import (
    COMMAND_DETAIL,
    EVENTS_STREAM,
    LOOKUP_DETAIL,
    EventKind,
    JobEvent,
    RequestContext,
)
from shared.jobs import REMEMBER_SECONDS, JobState, cancel_flag_key, outcome_key
from shared.messages import jobs as messages
from shared.schedules import Schedule
from shared.undo import UNDO_DETAIL, UndoOffer, offered
from workers.errors import StalePlan
from workers.plans import stale_keys

STREAM_MAX_LENGTH = 100_000
"""Approximate cap on the events stream; the incident timeline keeps the permanent record."""


CRASHED_DETAIL = "crashed"
"""Set (true) on the final event of a job that stopped on an unexpected error or with its worker."""


def _outcome(kind: EventKind, details: Mapping[str, Any]) -> str:
    if details.get(CRASHED_DETAIL) or details.get("worker_died"):
        return JobState.CRASHED.value
    return JobState(kind.value).value


class Reporter:
    """Publishes one job's events."""

    def __init__(
        self,
        connection: Redis,
        request: RequestContext,
        *,
        approved_witnesses: Mapping[str, str] | None = None,
    ) -> None:
        self._connection = connection
        self.request = request
        self.approved_witnesses = approved_witnesses
        """The resourceVersions of the plan that was approved, when the job runs on an approval."""
        self.schedule: Schedule | None = None
        """When a deferred job (or one bound to a window) was to start, and its window."""

    @property
    def connection(self) -> Redis:
        """The Redis connection of the job (locks and records that live beside the events)."""
        return self._connection

    def emit(self, kind: EventKind, text: str, **details: Any) -> None:
        """Publish one event for this job; a final one also carries the command it ran, as data.

        A success also carries the undo it offers (:mod:`shared.undo`): the offer worked out when the
        job was submitted, checked against the result, so the bot shows it from the event alone, even
        after a restart, and never reads a command back from words.
        """
        if kind.is_final and self.request.command is not None:
            details = {COMMAND_DETAIL: dict(self.request.command), **details}
        offer = UndoOffer.from_json(self.request.undo) if kind is EventKind.SUCCEEDED else None
        undo = offered(offer, result=details) if offer is not None else None
        if undo is not None:
            details = {**details, UNDO_DETAIL: undo.to_json()}
        if self.request.lookup:
            details = {LOOKUP_DETAIL: True, **details}
        event = JobEvent(
            job_id=self.request.job_id,
            kind=kind,
            text=text,
            channel=self.request.channel,
            thread_ts=self.request.thread_ts,
            at=time.time(),
            details=details,
            user=self.request.user,
            cluster=self.request.cluster,
        )
        fields: dict[Any, Any] = dict(event.to_fields())
        with self._connection.pipeline() as pipe:
            if kind.is_final:
                # Written with the event, so `jobs` never lags behind what the thread was told.
                pipe.set(outcome_key(self.request.job_id), _outcome(kind, details), ex=REMEMBER_SECONDS)
            pipe.xadd(EVENTS_STREAM, fields, maxlen=STREAM_MAX_LENGTH, approximate=True)
            pipe.execute()

    def progress(self, text: str, **details: Any) -> None:
        """Say what the job is doing now."""
        self.emit(EventKind.PROGRESS, text, **details)

    def emit_plan(self, text: str, **details: Any) -> None:
        """Say what the job would do (dry runs and plans shown before acting)."""
        self.emit(EventKind.PLAN, text, **details)

    def confirm_plan(self, plan: Mapping[str, Any]) -> None:
        """Before acting on an approval: stop if the targets changed since the approved plan.

        Jobs call this with the plan they just computed, right before their first change. Without
        an approval (``approved_witnesses`` is None) there is nothing to compare and it returns; after
        one successful check it is consumed, since the job's own writes move versions afterwards.
        """
        if self.approved_witnesses is None:
            return
        current = {str(k): str(v) for k, v in (plan.get("witnesses") or {}).items()}
        stale = stale_keys(self.approved_witnesses, current)
        if stale:
            raise StalePlan(messages.plan_changed_since_approval(stale))
        # Checked once, before the first change: the job's own writes move versions afterwards.
        self.approved_witnesses = None

    def warning(self, text: str, **details: Any) -> None:
        """Say something the requester must know, such as what a step will lose."""
        self.emit(EventKind.WARNING, text, **details)

    def cancel_requested(self) -> bool:
        """True once somebody asked to cancel this job; jobs check it between steps."""
        return bool(self._connection.exists(cancel_flag_key(self.request.job_id)))
