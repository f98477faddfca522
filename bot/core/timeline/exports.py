"""The timeline for people: a chat page, and exports for a postmortem.

:func:`render_page` answers ``timeline`` in chat; :func:`export_markdown` writes a postmortem-ready
document (UTC times, and the duration of each operation from its start to its result) and
:func:`export_json` the same as data. Notes keep the time they were written, so exports order
entries by time, then by sequence.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence

from bot.core.timeline.chain import ChainedEntry, ChainReport
from bot.core.timeline.entries import Entry, EntryKind
from bot.core.timeline.stored import Incident
from shared.messages import timeline as messages

_STARTS = frozenset({EntryKind.JOB_STARTED, EntryKind.JOB_RESUMED})
"""The entries at which a job starts (a continuation's start is a resumption)."""


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
        elif entry.kind in _STARTS and entry.details.get("description"):
            labels.setdefault(entry.job_id, str(entry.details["description"]))
        known = starts.get(entry.job_id)
        if known is None or (entry.kind in _STARTS and known.kind not in _STARTS):
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
                started=start.kind in _STARTS,
            )
        )
    return sorted(found, key=lambda operation: operation.started_at)


@dataclasses.dataclass(frozen=True)
class TimelineExport:
    """Everything an export shows: what it covers, the entries in stored order, and the chain verdict."""

    scope: str
    """The timeline in words (:func:`~shared.messages.timeline.scope_incident` or ``scope_channel``)."""
    entries: Sequence[ChainedEntry]
    report: ChainReport
    incident: Incident | None = None


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
