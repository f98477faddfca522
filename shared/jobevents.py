"""What a job tells the people who asked for it, as it runs: the events workers publish and adapters show.

Workers append :class:`JobEvent` records to one Redis stream; the console and the Slack adapter read
the stream and render each event in the thread of the request (a job card later). This module only
defines the record and its flat encoding, so both sides agree without importing each other.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from typing import Any

EVENTS_STREAM = "chatops:job-events"
"""The Redis stream every job event goes to."""

COMMAND_DETAIL = "request_command"
"""The detail of a job's final event holding the command it ran, as data (an invocation's JSON)."""

LOOKUP_DETAIL = "lookup"
"""Set (true) on every event of a lookup: the person sees one message, the answer, and nothing around it."""


class EventKind(enum.StrEnum):
    """Where a job is in its life, as people see it."""

    QUEUED = "queued"
    STARTED = "started"
    PROGRESS = "progress"
    WARNING = "warning"
    PLAN = "plan"
    SUCCEEDED = "succeeded"
    PLANNED = "planned"
    """The end of a dry run: the plan was shown and nothing changed (never called a success)."""
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for the kinds after which nothing more is said about the job."""
        return self in {EventKind.SUCCEEDED, EventKind.PLANNED, EventKind.FAILED, EventKind.CANCELLED}


@dataclasses.dataclass(frozen=True)
class RequestContext:
    """Who asked for a job, what they asked (as data), and where the answers go. Travels with the job as JSON."""

    job_id: str
    user: str
    channel: str
    thread_ts: str
    cluster: str
    command: Mapping[str, Any] | None = None
    """The command the job runs, as :class:`shared.invocation.Invocation` JSON (never the typed words)."""
    undo: Mapping[str, Any] | None = None
    """The undo it offers once it succeeds, as :class:`shared.undo.UndoOffer` JSON, worked out at submission."""
    lookup: bool = False
    """A lookup (``nodes``, ``status``…): its events say so (:data:`LOOKUP_DETAIL`), and adapters show the
    answer as one message, without the start and success lines around it."""

    def to_json(self) -> dict[str, Any]:
        """The JSON-safe form passed to the job function."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestContext:
        """Rebuild the context a job received; unknown keys are ignored."""
        names = {field.name for field in dataclasses.fields(cls)} - {"lookup", "command", "undo"}
        fields = {key: str(value) for key, value in data.items() if key in names}
        command, undo = data.get("command"), data.get("undo")
        return cls(
            **fields,
            command=dict(command) if isinstance(command, Mapping) else None,
            undo=dict(undo) if isinstance(undo, Mapping) else None,
            lookup=data.get("lookup") is True,
        )


@dataclasses.dataclass(frozen=True)
class JobEvent:
    """One thing a job says: a kind, one line for people, and structured details."""

    job_id: str
    kind: EventKind
    text: str
    channel: str
    thread_ts: str
    at: float
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    user: str = ""
    """Who asked for the job (a chat user id), so the timeline can name the actor."""
    cluster: str = ""

    def to_fields(self) -> dict[str, str]:
        """Flatten to the string fields a Redis stream entry holds."""
        return {
            "job_id": self.job_id,
            "kind": self.kind.value,
            "text": self.text,
            "channel": self.channel,
            "thread_ts": self.thread_ts,
            "at": repr(self.at),
            "details": json.dumps(dict(self.details), sort_keys=True, default=str),
            "user": self.user,
            "cluster": self.cluster,
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> JobEvent:
        """Rebuild an event from a stream entry written by :meth:`to_fields`."""
        return cls(
            job_id=fields["job_id"],
            kind=EventKind(fields["kind"]),
            text=fields["text"],
            channel=fields["channel"],
            thread_ts=fields["thread_ts"],
            at=float(fields["at"]),
            details=json.loads(fields.get("details") or "{}"),
            user=fields.get("user", ""),
            cluster=fields.get("cluster", ""),
        )


_UNSAID_BY_LOOKUPS = frozenset({EventKind.QUEUED, EventKind.STARTED, EventKind.SUCCEEDED, EventKind.PLANNED})
"""What a lookup's thread never shows: its answer is the one message (a failure still says so)."""


def is_lookup(event: JobEvent) -> bool:
    """Whether ``event`` is of a lookup's job (:data:`LOOKUP_DETAIL`)."""
    return event.details.get(LOOKUP_DETAIL) is True


def shown_in_thread(event: JobEvent) -> bool:
    """Whether a thread shows ``event``: every event of a job, but a lookup's start and success."""
    return not (is_lookup(event) and event.kind in _UNSAID_BY_LOOKUPS)


_NOTE_KINDS = frozenset({EventKind.PLAN, EventKind.WARNING})


def posts_a_message(event: JobEvent, *, carded: bool) -> bool:
    """Whether ``event`` of a job (not a lookup) adds a message to its thread, or only edits its card.

    The job's first event posts its card (``carded`` is whether it is posted already); a warning or a
    plan is a message people must read, and the last word (the outcome) is said in the thread; any
    other progress edits the card in place.
    """
    return not carded or event.kind in _NOTE_KINDS or event.kind.is_final


@dataclasses.dataclass
class LookupAnswer:
    """A lookup's one message as its events arrive: its plans and warnings, then the latest thing it said."""

    notes: list[str] = dataclasses.field(default_factory=list)
    latest: str = ""

    def take(self, event: JobEvent) -> bool:
        """Take ``event`` in; True when the message changed."""
        if not shown_in_thread(event):
            if event.kind.is_final and not self.text:
                self.latest = event.text  # a lookup that found nothing to say: its last word
                return True
            return False
        if event.kind in _NOTE_KINDS:
            self.notes.append(event.text)
        else:
            self.latest = event.text
        return True

    @property
    def text(self) -> str:
        """The message."""
        return "\n\n".join([*self.notes, self.latest] if self.latest else self.notes)
