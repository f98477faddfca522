"""What the incident page shows, as plain values: Slack markup turned into plain text, nothing secret.

The page never shows an entry's ``details`` (they may hold plan witnesses and other internals) nor
any setting: only times, actors (shown by name), kinds, one-line summaries and ids. Text is plain
here; the template escapes it (autoescape), so a summary holding ``<script>`` shows as text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable

from bot.core.timeline import Entry, EntryKind, Operation, TimelineExport, in_time_order, operations
from shared.messages import incident_page as page_words
from shared.messages import timeline as messages

Names = Callable[[str], str]
"""A chat user id to the name people know them by (the id itself when unknown)."""

_SLACK_MARKUP = re.compile(r"<([^<>\n]*)>")
_USER_ID = re.compile(r"^[UW][A-Z0-9_]+$")
_PROGRESS_KINDS = {EntryKind.JOB_PROGRESS, EntryKind.JOB_WARNING}


def same_name(user: str) -> str:
    """The default :data:`Names`: every user shown by their id."""
    return user


def plain(text: str, *, names: Names = same_name) -> str:
    """``text`` without Slack markup: mentions as ``@name``, links as their label, no code ticks."""

    def one(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (label or names(target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@" + target.removeprefix("!subteam^")
        if target.startswith("!"):
            return "@" + (label or target[1:])
        return label or target

    text = _SLACK_MARKUP.sub(one, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("`", "").replace("**", "")


def actor_name(actor: str, *, names: Names = same_name) -> str:
    """Who did it: a person as ``@name``, a worker or the bot by its own name."""
    return "@" + names(actor) if _USER_ID.match(actor) else actor


@dataclasses.dataclass(frozen=True)
class EntryRow:
    """One line of the timeline."""

    seq: int
    at: str
    actor: str
    kind: str
    kind_key: str
    summary: str
    job_id: str


@dataclasses.dataclass(frozen=True)
class JobRow:
    """One job, its progress collapsed under it, and its bar on the chart (percent of the incident)."""

    job_id: str
    summary: str
    started: str
    ended: str
    duration: str
    result: str
    result_key: str
    steps: tuple[str, ...]
    offset_pct: float
    width_pct: float

    @property
    def chart_label(self) -> str:
        """What the job's bar says to a screen reader."""
        return page_words.chart_label(started=self.started, ended=self.ended or self.result)


@dataclasses.dataclass(frozen=True)
class ApprovalRow:
    """One approval request: who asked, who answered, and how long the decision took."""

    approval_id: str
    summary: str
    requested_by: str
    requested_at: str
    answers: tuple[str, ...]
    state: str
    decided_by: str
    decided_at: str
    waited: str

    @property
    def line(self) -> str:
        """The sentence under the request: who asked, and who decided after how long."""
        return page_words.approval_line(
            requested_by=self.requested_by,
            requested_at=self.requested_at,
            state=self.state,
            decided_by=self.decided_by,
            decided_at=self.decided_at,
            waited=self.waited,
        )


@dataclasses.dataclass(frozen=True)
class IncidentView:
    """Everything the incident page shows."""

    title: str
    incident_id: str
    is_open: bool
    state: str
    opened: str
    closed: str
    duration: str
    chain_ok: bool
    chain: str
    last_seq: int
    entries: tuple[EntryRow, ...]
    jobs: tuple[JobRow, ...]
    approvals: tuple[ApprovalRow, ...]
    notes: tuple[EntryRow, ...]


def incident_view(export: TimelineExport, *, now: float, names: Names = same_name) -> IncidentView:
    """The page of an incident's export (``export.incident`` must be set)."""
    incident = export.incident
    if incident is None:
        raise ValueError("the page shows incidents only")
    ordered = [entry for _, entry in in_time_order(export.entries)]
    end = now if incident.closed_at is None else incident.closed_at
    rows = [
        _row(chained.seq, entry, names=names)
        for chained, entry in in_time_order(export.entries)
        if entry.kind not in _PROGRESS_KINDS
    ]
    span = (incident.opened_at, max(end, incident.opened_at + 1.0))
    return IncidentView(
        title=plain(incident.title, names=names),
        incident_id=incident.incident_id,
        is_open=incident.is_open,
        state=messages.web_state(is_open=incident.is_open),
        opened=messages.utc(incident.opened_at) + " · " + actor_name(incident.opened_by, names=names),
        closed=""
        if incident.closed_at is None
        else messages.utc(incident.closed_at) + " · " + actor_name(incident.closed_by or "", names=names),
        duration=messages.web_duration(seconds=end - incident.opened_at, is_open=incident.is_open),
        chain_ok=export.report.ok,
        chain=plain(export.report.sentence()),
        last_seq=max((chained.seq for chained in export.entries), default=0),
        entries=tuple(rows),
        jobs=tuple(_job(op, ordered, span=span, names=names) for op in operations(ordered)),
        approvals=tuple(_approvals(ordered, names=names)),
        notes=tuple(row for row in rows if row.kind_key == EntryKind.NOTE.value),
    )


def _row(seq: int, entry: Entry, *, names: Names) -> EntryRow:
    return EntryRow(
        seq=seq,
        at=messages.utc(entry.at),
        actor=actor_name(entry.actor, names=names),
        kind=entry.kind.label,
        kind_key=entry.kind.value,
        summary=plain(entry.summary, names=names),
        job_id=entry.job_id,
    )


def _job(
    operation: Operation, entries: Iterable[Entry], *, span: tuple[float, float], names: Names
) -> JobRow:
    steps = tuple(
        f"{messages.clock(entry.at)} {plain(entry.summary, names=names)}"
        for entry in entries
        if entry.job_id == operation.job_id and entry.kind in _PROGRESS_KINDS
    )
    length = span[1] - span[0]
    finish = operation.ended_at if operation.ended_at is not None else span[1]
    offset = min(100.0, max(0.0, (operation.started_at - span[0]) / length * 100))
    width = min(100.0 - offset, max(1.0, (finish - operation.started_at) / length * 100))
    if operation.result is not None:
        result, key = operation.result.label, operation.result.value
    else:
        result = messages.md_still_running() if operation.started else messages.md_never_started()
        key = "running" if operation.started else "never_started"
    return JobRow(
        job_id=operation.job_id,
        summary=plain(operation.summary, names=names),
        started=messages.utc(operation.started_at),
        ended="" if operation.ended_at is None else messages.utc(operation.ended_at),
        duration="" if operation.duration is None else messages.duration(operation.duration),
        result=result,
        result_key=key,
        steps=steps,
        offset_pct=round(offset, 2),
        width_pct=round(width, 2),
    )


def _approvals(entries: Iterable[Entry], *, names: Names) -> list[ApprovalRow]:
    requests: dict[str, Entry] = {}
    answers: dict[str, list[str]] = {}
    decisions: dict[str, Entry] = {}
    for entry in entries:
        if not entry.approval_id:
            continue
        if entry.kind is EntryKind.APPROVAL_REQUESTED:
            requests.setdefault(entry.approval_id, entry)
        elif entry.kind is EntryKind.APPROVAL_ANSWERED:
            who = actor_name(entry.actor, names=names)
            answers.setdefault(entry.approval_id, []).append(f"{messages.clock(entry.at)} {who}")
        elif entry.kind is EntryKind.APPROVAL_DECIDED:
            decisions.setdefault(entry.approval_id, entry)
    found = []
    for approval_id, request in requests.items():
        decision = decisions.get(approval_id)
        found.append(
            ApprovalRow(
                approval_id=approval_id,
                summary=plain(request.summary, names=names),
                requested_by=actor_name(request.actor, names=names),
                requested_at=messages.utc(request.at),
                answers=tuple(answers.get(approval_id, ())),
                state="pending" if decision is None else str(decision.details.get("state", "")),
                decided_by="" if decision is None else actor_name(decision.actor, names=names),
                decided_at="" if decision is None else messages.utc(decision.at),
                waited="" if decision is None else messages.duration(decision.at - request.at),
            )
        )
    return found
