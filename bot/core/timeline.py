"""The incident timeline as values: entries, the hash chain that makes them tamper-evident, and exports.

A postmortem is written from the timeline, so it records everything done through the bot (commands,
plans, approval requests and answers, job start, progress and result, errors and notes) as
:class:`Entry` values, each with its time, actor, place (channel, thread, cluster, target) and the
ids that tie it to a job, an approval and an incident.

Entries are chained in the order they are appended: entry ``n`` stores the hash of entry ``n-1``, and
its own hash covers that previous hash and the canonical JSON of the entry (sequence number included)::

    hash(n) = sha256(hash(n-1) + "\\n" + canonical_json(seq=n, entry))      hash(0) = "0" * 64

:func:`verify_chain` recomputes the chain and names altered entries (content no longer matches its
hash), removed ones (gaps in the sequence, or a tail shorter than the recorded head) and entries that
no longer follow their predecessor. Entries trimmed by a retention policy leave a gap at the start,
which is reported as trimmed, not as tampering, when the caller says retention applies.

:func:`approval_request_entry`, :func:`approval_answer_entry` and :func:`job_event_entry` build the
entries for what the bot and the workers do, with ids that make retried appends harmless.
Rendering is here too: :func:`render_page` for chat, :func:`export_markdown` for a postmortem (UTC
times, and the duration of each operation from its start to its result) and :func:`export_json`.
Notes keep the time they were written, so exports order entries by time, then by sequence.
Pure: :mod:`bot.timeline_store` keeps the chain in Redis Streams.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.core.approvals import Answer, ApprovalRequest, Outcome
from bot.core.jobevents import EventKind, JobEvent
from bot.core.messages import timeline as messages

GENESIS_HASH = "0" * 64
"""The "previous hash" of the first entry of every stream."""


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


def job_event_entry(event: JobEvent, *, actor: str, cluster: str = "", target: str = "") -> Entry:
    """The entry for a job event a worker published; the same event published twice has the same id."""
    identity = f"{event.job_id}\x00{event.kind.value}\x00{event.at!r}\x00{event.text}"
    return Entry(
        at=event.at,
        actor=actor,
        kind=_JOB_EVENT_KINDS[event.kind],
        summary=event.text,
        channel=event.channel,
        thread_ts=event.thread_ts,
        cluster=cluster,
        target=target,
        job_id=event.job_id,
        details=dict(event.details),
        event_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
    )


@dataclasses.dataclass(frozen=True)
class ChainedEntry:
    """An entry at its place in a chain: its sequence number, the stored content and both hashes."""

    seq: int
    body: str
    """The canonical JSON that was hashed, exactly as stored."""
    prev_hash: str
    hash: str
    stream_id: str = ""
    """Where the store keeps it (a Redis stream id); not part of the hash."""

    @functools.cached_property
    def entry(self) -> Entry:
        """The entry itself (parsed once); content that no longer parses reads as an error entry."""
        try:
            return Entry.from_json(json.loads(self.body))
        except (ValueError, KeyError, TypeError):
            return Entry(
                at=0.0, actor="", kind=EntryKind.ERROR, summary=messages.unreadable_entry(), channel=""
            )

    @property
    def intact(self) -> bool:
        """Whether the content still matches the hash stored with it."""
        return chain_hash(self.prev_hash, self.body) == self.hash


@dataclasses.dataclass(frozen=True)
class ChainHead:
    """The last link of a chain as recorded on append: lets verification notice a removed tail."""

    seq: int
    hash: str


def canonical_body(entry: Entry, *, seq: int) -> str:
    """The exact text hashed for ``entry`` at position ``seq``: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        {"seq": seq, **entry.to_json()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def chain_hash(prev_hash: str, body: str) -> str:
    """The hash of one link: the previous hash and the entry's canonical body."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def link(entry: Entry, *, head: ChainHead | None) -> ChainedEntry:
    """Chain ``entry`` after ``head`` (``None`` for the first entry of a stream)."""
    seq = 1 if head is None else head.seq + 1
    prev_hash = GENESIS_HASH if head is None else head.hash
    body = canonical_body(entry, seq=seq)
    return ChainedEntry(seq=seq, body=body, prev_hash=prev_hash, hash=chain_hash(prev_hash, body))


@dataclasses.dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found; entries are named by sequence number."""

    checked: int
    first_seq: int | None
    last_seq: int | None
    altered: tuple[int, ...] = ()
    """Entries whose content no longer matches their hash."""
    missing: tuple[tuple[int, int], ...] = ()
    """Inclusive ranges of removed entries."""
    broken_links: tuple[int, ...] = ()
    """Entries that no longer follow their predecessor (it was replaced, or reordered)."""
    trimmed: int = 0
    """Entries before ``first_seq`` dropped by the retention policy (not an error)."""

    @property
    def ok(self) -> bool:
        """Whether nothing was altered or removed."""
        return not (self.altered or self.missing or self.broken_links)

    def to_json(self) -> dict[str, Any]:
        """The JSON form included in exports."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "altered": list(self.altered),
            "missing": [list(span) for span in self.missing],
            "broken_links": list(self.broken_links),
            "trimmed": self.trimmed,
        }

    def sentence(self) -> str:
        """The verdict in one line, for exports and replies."""
        if self.ok:
            return messages.chain_verified(count=self.checked, trimmed=self.trimmed)
        return messages.chain_broken(
            altered=self.altered, missing=self.missing, broken_links=self.broken_links
        )


def verify_chain(
    entries: Iterable[ChainedEntry], *, head: ChainHead | None = None, retention_applies: bool = False
) -> ChainReport:
    """Recompute the chain of ``entries`` (in stored order) against its recorded ``head``.

    With ``retention_applies``, a chain starting after entry 1 is taken as trimmed by retention;
    without it, the missing first entries are reported as removed.
    """
    altered: list[int] = []
    missing: list[tuple[int, int]] = []
    broken: list[int] = []
    previous: ChainedEntry | None = None
    first_seq: int | None = None
    trimmed = 0
    checked = 0
    for current in entries:
        checked += 1
        if not current.intact:
            altered.append(current.seq)
        if previous is None:
            first_seq = current.seq
            if current.seq > 1:
                if retention_applies:
                    trimmed = current.seq - 1
                else:
                    missing.append((1, current.seq - 1))
            elif current.prev_hash != GENESIS_HASH:
                broken.append(current.seq)
        elif current.seq > previous.seq + 1:
            missing.append((previous.seq + 1, current.seq - 1))
        elif current.seq != previous.seq + 1 or current.prev_hash != previous.hash:
            broken.append(current.seq)
        previous = current
    last_seq = None if previous is None else previous.seq
    if head is not None:
        if previous is None:
            if head.seq > 0 and not retention_applies:
                missing.append((1, head.seq))
        elif head.seq > previous.seq:
            missing.append((previous.seq + 1, head.seq))
        elif head.seq == previous.seq and head.hash != previous.hash:
            broken.append(previous.seq)
    return ChainReport(
        checked=checked,
        first_seq=first_seq,
        last_seq=last_seq,
        altered=tuple(altered),
        missing=tuple(missing),
        broken_links=tuple(broken),
        trimmed=trimmed,
    )


@dataclasses.dataclass(frozen=True)
class Incident:
    """An incident of one channel: from ``incident open TITLE`` to ``incident close``."""

    incident_id: str
    title: str
    channel: str
    opened_by: str
    opened_at: float
    closed_by: str | None = None
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Whether the incident has not been closed yet."""
        return self.closed_at is None

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored and exported."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incident:
        """Rebuild an incident from :meth:`to_json`."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Operation:
    """One job as the export summarises it: from its start to its result."""

    job_id: str
    summary: str
    started_at: float
    ended_at: float | None
    result: EntryKind | None
    started: bool = True
    """False for a job that never ran (refused, still awaiting approval, or denied): no start entry."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to result; ``None`` while it runs or when it never started."""
        return None if self.ended_at is None or not self.started else self.ended_at - self.started_at


def operations(entries: Iterable[Entry]) -> list[Operation]:
    """The jobs among ``entries``, in the order they started.

    An operation starts at its ``job_started`` entry (or, for a job that never started, its first
    entry) and ends at its first result entry. It is named by the command that asked for it when
    that is on the timeline, else by the job's own description.
    """
    starts: dict[str, Entry] = {}
    ends: dict[str, Entry] = {}
    labels: dict[str, str] = {}
    for entry in sorted(entries, key=lambda item: item.at):
        if not entry.job_id:
            continue
        if entry.kind is EntryKind.COMMAND:
            labels.setdefault(entry.job_id, entry.summary)
        elif entry.kind is EntryKind.JOB_STARTED and entry.details.get("description"):
            labels.setdefault(entry.job_id, str(entry.details["description"]))
        known = starts.get(entry.job_id)
        if known is None or (entry.kind is EntryKind.JOB_STARTED and known.kind is not EntryKind.JOB_STARTED):
            starts[entry.job_id] = entry
        if entry.kind.is_job_result and entry.job_id not in ends:
            ends[entry.job_id] = entry
    found = []
    for job_id, start in starts.items():
        end = ends.get(job_id)
        found.append(
            Operation(
                job_id=job_id,
                summary=labels.get(job_id) or start.target or start.summary,
                started_at=start.at,
                ended_at=None if end is None else end.at,
                result=None if end is None else end.kind,
                started=start.kind is EntryKind.JOB_STARTED,
            )
        )
    return sorted(found, key=lambda operation: operation.started_at)


@dataclasses.dataclass(frozen=True)
class TimelineExport:
    """Everything an export shows: what it covers, the entries in stored order, and the chain verdict."""

    scope: str
    """The timeline in words (:func:`~bot.core.messages.timeline.scope_incident` or ``scope_channel``)."""
    entries: Sequence[ChainedEntry]
    report: ChainReport
    incident: Incident | None = None


@dataclasses.dataclass(frozen=True)
class Scope:
    """One timeline: an incident's or a channel's own."""

    stream: str
    label: str
    """The timeline in words, for headings."""
    incident: Incident | None = None


@dataclasses.dataclass(frozen=True)
class Appended:
    """The result of :meth:`TimelineStore.append`."""

    stream: str
    seq: int
    duplicate: bool
    """True when the event id was already recorded: nothing new was written."""
    chained: ChainedEntry | None = None
    """The new link; ``None`` for a duplicate."""


@dataclasses.dataclass(frozen=True)
class Page:
    """Latest entries of a timeline, newest first, and where the next (older) page starts."""

    entries: list[ChainedEntry]
    older_before: str | None
    """Pass as ``before`` to get the next page; ``None`` when this page reaches the oldest entry."""


def in_time_order(entries: Iterable[ChainedEntry]) -> list[tuple[ChainedEntry, Entry]]:
    """Entries with their content, ordered by when things happened (a note by when it was written)."""
    parsed = [(chained, chained.entry) for chained in entries]
    parsed.sort(key=lambda pair: (pair[1].at, pair[0].seq))
    return parsed


def render_page(entries: Sequence[ChainedEntry], *, scope: str, older_before: str | None) -> str:
    """The chat answer to ``timeline``: a page of entries in time order, and a hint if older ones exist."""
    if not entries:
        return messages.page_empty(scope=scope)
    lines = [messages.page_heading(scope=scope, shown=len(entries))]
    for _, entry in in_time_order(entries):
        lines.append(
            messages.page_line(
                at=entry.at,
                actor=entry.actor,
                kind=entry.kind.label,
                summary=entry.summary,
                job_id=entry.job_id,
            )
        )
    if older_before is not None:
        lines.append(messages.page_more(before=older_before))
    return "\n".join(lines)


def export_markdown(export: TimelineExport) -> str:
    """A postmortem-ready Markdown document: header, chain verdict, operations with durations, entries."""
    ordered = in_time_order(export.entries)
    plain = [entry for _, entry in ordered]
    ops = operations(plain)
    started = {operation.job_id: operation.started_at for operation in ops}
    lines = [messages.md_title(scope=export.scope), ""]
    if export.incident is not None:
        incident = export.incident
        lines.append(
            messages.md_incident(
                opened_at=incident.opened_at,
                opened_by=incident.opened_by,
                closed_at=incident.closed_at,
                closed_by=incident.closed_by,
            )
        )
    lines.append(
        messages.md_span(
            count=len(plain), first=plain[0].at if plain else None, last=plain[-1].at if plain else None
        )
    )
    lines += [export.report.sentence(), "", messages.md_operations_heading(), ""]
    if ops:
        header = messages.md_operations_header()
        lines += [messages.md_row(header), messages.md_rule(len(header))]
        for operation in ops:
            lines.append(
                messages.md_row(
                    (
                        operation.job_id,
                        operation.summary,
                        messages.utc(operation.started_at),
                        "" if operation.ended_at is None else messages.utc(operation.ended_at),
                        "" if operation.duration is None else messages.duration(operation.duration),
                        _operation_result(operation),
                    )
                )
            )
    else:
        lines.append(messages.md_no_operations())
    header = messages.md_entries_header()
    lines += ["", messages.md_entries_heading(), "", messages.md_row(header), messages.md_rule(len(header))]
    for chained, entry in ordered:
        summary = entry.summary
        if entry.kind.is_job_result and entry.job_id in started:
            summary += messages.md_took(seconds=entry.at - started[entry.job_id])
        lines.append(
            messages.md_row(
                (
                    str(chained.seq),
                    messages.utc(entry.at),
                    entry.actor,
                    entry.kind.label,
                    summary,
                    entry.job_id,
                    entry.approval_id,
                    entry.target,
                )
            )
        )
    return "\n".join(lines) + "\n"


def export_json(export: TimelineExport) -> str:
    """The JSON document: scope, incident, chain verdict, operations and entries (stored order, with hashes)."""
    plain = [chained.entry for chained in export.entries]
    document = {
        "scope": export.scope,
        "incident": None if export.incident is None else export.incident.to_json(),
        "verification": export.report.to_json(),
        "operations": [
            {
                "job_id": operation.job_id,
                "summary": operation.summary,
                "started_at": operation.started_at,
                "ended_at": operation.ended_at,
                "duration_seconds": operation.duration,
                "result": None if operation.result is None else operation.result.value,
            }
            for operation in operations(plain)
        ],
        "entries": [
            {"seq": chained.seq, "prev_hash": chained.prev_hash, "hash": chained.hash, **entry.to_json()}
            for chained, entry in zip(export.entries, plain, strict=True)
        ],
    }
    return json.dumps(document, ensure_ascii=False)


def _operation_result(operation: Operation) -> str:
    if operation.result is not None:
        return operation.result.label
    return messages.md_still_running() if operation.started else messages.md_never_started()
