"""What the timeline records: the kinds of entry, :class:`Entry`, and the entries for what the bot does.

:func:`approval_request_entry`, :func:`approval_answer_entry` and :func:`job_event_entry` build the
entries for approval requests and answers and for the events workers publish, with ids that make
retried appends harmless.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from bot.core.approvals import Answer, ApprovalRequest, Outcome
from shared.jobevents import EventKind, JobEvent
from shared.messages import timeline as messages


class EntryKind(enum.StrEnum):
    """What an entry records."""

    COMMAND = "command"
    PLAN = "plan"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_ANSWERED = "approval_answered"
    """An answer that counted but did not decide (one approval of several)."""
    APPROVAL_DECIDED = "approval_decided"
    JOB_QUEUED = "job_queued"
    JOB_STARTED = "job_started"
    JOB_PROGRESS = "job_progress"
    JOB_WARNING = "job_warning"
    JOB_SUCCEEDED = "job_succeeded"
    JOB_PLANNED = "job_planned"
    """A dry run ended: its plan was shown, nothing changed."""
    JOB_FAILED = "job_failed"
    JOB_CANCELLED = "job_cancelled"
    JOB_DEFERRED = "job_deferred"
    """Handed to RQ's scheduler: it starts later (its window's opening, or ``--at``/``--in``)."""
    JOB_PAUSED = "job_paused"
    """Stopped between two nodes at its window's end; its continuation waits for the next opening."""
    JOB_RESUMED = "job_resumed"
    """A continuation started: the rest of a job paused at its window's end."""
    ERROR = "error"
    NOTE = "note"
    INCIDENT_OPENED = "incident_opened"
    INCIDENT_CLOSED = "incident_closed"

    @property
    def is_job_result(self) -> bool:
        """Whether the entry ends an operation."""
        return self in {
            EntryKind.JOB_SUCCEEDED,
            EntryKind.JOB_PLANNED,
            EntryKind.JOB_FAILED,
            EntryKind.JOB_CANCELLED,
            EntryKind.JOB_PAUSED,
        }

    @property
    def label(self) -> str:
        """The kind in words, for pages and exports."""
        return self.value.replace("_", " ")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Entry:
    """One thing that happened, as the timeline records it."""

    at: float
    """When it happened (unix seconds): for a note, when the message was written, not when it was pinned."""
    actor: str
    """The chat user id of whoever did it, or the worker / bot name for automatic entries."""
    kind: EntryKind
    summary: str
    """One line for people."""
    channel: str
    thread_ts: str = ""
    cluster: str = ""
    target: str = ""
    """What was acted on, as ``node/n1`` or ``deployment/web``."""
    job_id: str = ""
    approval_id: str = ""
    incident_id: str = ""
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Structured details (JSON values only)."""
    event_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    """Unique per event, chosen by the producer: a retried append with the same id is recorded once."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form, as hashed and exported."""
        return {
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind.value,
            "summary": self.summary,
            "channel": self.channel,
            "thread_ts": self.thread_ts,
            "cluster": self.cluster,
            "target": self.target,
            "job_id": self.job_id,
            "approval_id": self.approval_id,
            "incident_id": self.incident_id,
            "details": dict(self.details),
            "event_id": self.event_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        """Rebuild an entry from :meth:`to_json`; unknown keys are ignored."""
        names = {field.name for field in dataclasses.fields(cls)}
        fields = {key: value for key, value in data.items() if key in names}
        fields["kind"] = EntryKind(fields["kind"])
        fields["at"] = float(fields["at"])
        return cls(**fields)


def approval_request_entry(request: ApprovalRequest) -> Entry:
    """The entry recording that ``request`` was opened (one per request, whatever the retries)."""
    return Entry(
        at=request.created_at,
        actor=request.requester,
        kind=EntryKind.APPROVAL_REQUESTED,
        summary=messages.approval_requested_summary(
            description=request.description, count=request.count, approvers=request.approvers
        ),
        channel=request.channel,
        thread_ts=request.thread_ts,
        cluster=request.cluster,
        job_id=request.job_id,
        approval_id=request.approval_id,
        details={"witnesses": dict(request.witnesses), "expires_at": request.expires_at},
        event_id=f"{request.approval_id}-requested",
    )


def approval_answer_entry(
    answer: Answer, *, actor: str, at: float, event_id: str | None = None
) -> Entry | None:
    """The entry recording one answer (refusals included, for the audit), or ``None`` if nothing happened.

    A decision (approved, denied, cancelled, expired, voided) is ``approval_decided``; a counted or
    refused answer is ``approval_answered``. Pass the chat message's id as ``event_id`` so a
    redelivered answer is recorded once.
    """
    if answer.outcome is Outcome.STILL_PENDING:
        return None
    request = answer.request
    decided = answer.decided or answer.outcome is Outcome.VOIDED
    if decided:
        summary = messages.approval_decided_summary(
            state=request.state.value,
            description=request.description,
            by=request.decided_by,
            reason=request.reason,
        )
    else:
        summary = messages.approval_answer_summary(
            outcome=answer.outcome.value,
            user=actor,
            description=request.description,
            have=len(request.votes),
            need=request.count,
        )
    entry = Entry(
        at=at,
        actor=actor,
        kind=EntryKind.APPROVAL_DECIDED if decided else EntryKind.APPROVAL_ANSWERED,
        summary=summary,
        channel=request.channel,
        thread_ts=request.thread_ts,
        cluster=request.cluster,
        job_id=request.job_id,
        approval_id=request.approval_id,
        details={
            "outcome": answer.outcome.value,
            "state": request.state.value,
            "approved_by": list(request.approved_by),
        },
    )
    return entry if event_id is None else dataclasses.replace(entry, event_id=event_id)


_JOB_EVENT_KINDS = {
    EventKind.QUEUED: EntryKind.JOB_QUEUED,
    EventKind.STARTED: EntryKind.JOB_STARTED,
    EventKind.PROGRESS: EntryKind.JOB_PROGRESS,
    EventKind.WARNING: EntryKind.JOB_WARNING,
    EventKind.PLAN: EntryKind.PLAN,
    EventKind.SUCCEEDED: EntryKind.JOB_SUCCEEDED,
    EventKind.PLANNED: EntryKind.JOB_PLANNED,
    EventKind.FAILED: EntryKind.JOB_FAILED,
    EventKind.CANCELLED: EntryKind.JOB_CANCELLED,
}


def _entry_kind(event: JobEvent) -> EntryKind:
    """The entry kind of a job event: a pause at the window's end and a resumption have their own."""
    if event.kind is EventKind.CANCELLED and event.details.get("paused"):
        return EntryKind.JOB_PAUSED
    if event.kind is EventKind.STARTED and event.details.get("resumes"):
        return EntryKind.JOB_RESUMED
    return _JOB_EVENT_KINDS[event.kind]


def job_event_entry(event: JobEvent, *, actor: str, cluster: str = "", target: str = "") -> Entry:
    """The entry for a job event a worker published; the same event published twice has the same id."""
    identity = f"{event.job_id}\x00{event.kind.value}\x00{event.at!r}\x00{event.text}"
    return Entry(
        at=event.at,
        actor=actor,
        kind=_entry_kind(event),
        summary=event.text,
        channel=event.channel,
        thread_ts=event.thread_ts,
        cluster=cluster,
        target=target,
        job_id=event.job_id,
        details=dict(event.details),
        event_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
    )
