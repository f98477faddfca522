"""Sentences of the timeline: incident replies, the chat page, and the words of the postmortem export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shared.messages.approvals import mention
from shared.text_safety import code, escape


def utc(at: float) -> str:
    """A full UTC timestamp, as postmortems write them."""
    return dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(at: float) -> str:
    """Time of day in UTC, for the chat page."""
    return dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M:%S")


def duration(seconds: float) -> str:
    """A duration people read at a glance: ``0.4s``, ``42s``, ``3m 07s``, ``2h 05m``."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


# Replies to incident and note commands.


def incident_opened(*, incident_id: str, title: str) -> str:
    """``incident open`` started an incident."""
    return (
        f"Incident {code(incident_id)} opened: {escape(title)}.\n"
        "Everything done in this channel is now on its timeline; `incident close` ends it."
    )


def incident_already_open(*, incident_id: str, title: str) -> str:
    """``incident open`` in a channel that already has one."""
    return f"Incident {code(incident_id)} ({escape(title)}) is already open here; `incident close` ends it first."


def incident_closed(*, incident_id: str, title: str, lasted: float) -> str:
    """``incident close`` ended the incident."""
    return (
        f"Incident {code(incident_id)} ({escape(title)}) closed after {duration(lasted)}.\n"
        f"`timeline {incident_id} --export md` gives the postmortem timeline."
    )


def no_open_incident() -> str:
    """``incident close`` with nothing open."""
    return "There is no open incident in this channel."


def no_such_incident(*, incident_id: str) -> str:
    """``timeline INCIDENT`` naming an unknown incident."""
    return f"There is no incident {code(incident_id)}."


def incident_elsewhere(*, incident_id: str) -> str:
    """``timeline INCIDENT`` (shown, exported or paged) outside the channel the incident belongs to."""
    return (
        f"Incident {code(incident_id)} belongs to another channel: "
        "its timeline can be read only in the channel it was opened in."
    )


def note_added(*, incident_id: str | None) -> str:
    """``note TEXT`` (or a pin) went on the timeline."""
    where = f"incident {code(incident_id)}" if incident_id else "this channel's timeline"
    return f"Noted on {where}, at the time it was written."


def incident_opened_summary(*, title: str) -> str:
    """The timeline entry of an opening."""
    return f"Incident opened: {title}"


def incident_closed_summary(*, title: str) -> str:
    """The timeline entry of a closing."""
    return f"Incident closed: {title}"


def approval_requested_summary(*, description: str, count: int, approvers: Sequence[str]) -> str:
    """Timeline entry: someone's command now waits for approval."""
    plural = "approval" if count == 1 else "approvals"
    return f"{description} awaits {count} {plural} from {', '.join(approvers)}"


def approval_answer_summary(*, outcome: str, user: str, description: str, have: int, need: int) -> str:
    """Timeline entry: an answer to an approval request, counted or refused (``outcome`` names which)."""
    return f"{mention(user)} answered the approval of {description}: {outcome} ({have} of {need})"


def approval_decided_summary(*, state: str, description: str, by: str | None, reason: str | None) -> str:
    """Timeline entry: the request left ``pending`` (or an approval was voided)."""
    who = f" by {mention(by)}" if by else ""
    why = f": {reason}" if reason else ""
    return f"{description} {state}{who}{why}"


def unreadable_entry() -> str:
    """Summary shown for a stored entry whose content is no longer valid JSON."""
    return "(unreadable entry: its stored content was altered)"


# The chat page.


def page_heading(*, scope: str, shown: int) -> str:
    """First line of ``timeline``."""
    return f"Latest {shown} entries of {escape(scope)} (times UTC):"


def page_empty(*, scope: str) -> str:
    """``timeline`` on a scope with nothing recorded yet."""
    return f"Nothing on {escape(scope)} yet."


def page_line(*, at: float, actor: str, kind: str, summary: str, job_id: str) -> str:
    """One entry on the chat page."""
    job = f" {code(job_id)}" if job_id else ""
    return f"• {clock(at)} {mention(actor)} {kind}{job}: {escape(summary)}"


def page_more(*, before: str) -> str:
    """Hint that older entries exist."""
    return f"Older entries exist (before {code(before)}); `--export md` gives the whole timeline."


def scope_incident(*, incident_id: str, title: str) -> str:
    """How an incident is named in headings."""
    return f"incident {incident_id} ({title})"


def scope_channel(*, channel: str) -> str:
    """How a channel's own timeline is named in headings."""
    return f"the timeline of channel {channel}"


# The postmortem export (Markdown).


def md_title(*, scope: str) -> str:
    """The document title."""
    return f"# Timeline of {md_cell(scope)}"


def md_incident(*, opened_at: float, opened_by: str, closed_at: float | None, closed_by: str | None) -> str:
    """When the incident ran, and who opened and closed it."""
    opened = f"Opened {utc(opened_at)} by {opened_by}"
    if closed_at is None:
        return f"{opened}; still open."
    return f"{opened}; closed {utc(closed_at)} by {closed_by or 'unknown'} after {duration(closed_at - opened_at)}."


def md_span(*, count: int, first: float | None, last: float | None) -> str:
    """How much the export covers."""
    if first is None or last is None:
        return "No entries."
    return f"{count} entries, from {utc(first)} to {utc(last)}. All times are UTC."


def chain_verified(*, count: int, trimmed: int) -> str:
    """The hash chain checked out."""
    earlier = f" (the {trimmed} entries before them were trimmed by retention)" if trimmed else ""
    return f"Hash chain verified: {count} entries, none altered or removed{earlier}."


def chain_broken(
    *,
    breaks_at: int,
    altered: Sequence[int],
    missing: Sequence[tuple[int, int]],
    broken_links: Sequence[int],
) -> str:
    """The hash chain found tampering; entries are named by their sequence number, runs as ranges."""
    problems: list[str] = []
    if altered:
        problems.append("altered entries " + _seq_runs(altered))
    if missing:
        problems.append("removed entries " + ", ".join(_seq_range(first, last) for first, last in missing))
    if broken_links:
        problems.append("entries no longer following their predecessor " + _seq_runs(broken_links))
    return f"**Hash chain NOT verified**, it breaks at entry #{breaks_at}: " + "; ".join(problems) + "."


def _seq_runs(seqs: Sequence[int]) -> str:
    """``1, 2, 3, 7`` as ``#1–#3, #7``."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return ", ".join(_seq_range(first, last) for first, last in runs)


def _seq_range(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first}–#{last}"


def md_operations_heading() -> str:
    """Heading of the table of operations."""
    return "## Operations"


def md_operations_header() -> tuple[str, ...]:
    """Columns of the operations table."""
    return ("Job", "Operation", "Started", "Ended", "Duration", "Result")


def md_no_operations() -> str:
    """An export without any job."""
    return "No operations were run."


def md_still_running() -> str:
    """An operation with no result yet."""
    return "still running"


def md_never_started() -> str:
    """An operation with no start on the timeline: refused, denied, expired, or still awaiting approval."""
    return "not run"


def md_entries_heading() -> str:
    """Heading of the full list of entries."""
    return "## Entries"


def md_entries_header() -> tuple[str, ...]:
    """Columns of the entries table."""
    return ("#", "Time (UTC)", "Actor", "Kind", "Summary", "Job", "Approval", "Target")


def md_took(*, seconds: float) -> str:
    """Suffix of a result entry: how long the operation took from its start."""
    return f" (took {duration(seconds)})"


def md_cell(text: str) -> str:
    """Text made safe for one Markdown table cell: no pipes, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def md_row(cells: Sequence[str]) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(md_cell(cell) for cell in cells) + " |"


def md_rule(columns: int) -> str:
    """The header separator of a Markdown table."""
    return "|" + "---|" * columns


def export_ready(*, scope: str, count: int, verified: bool, fmt: str) -> str:
    """The chat reply accompanying an export file."""
    state = "hash chain verified" if verified else "hash chain NOT verified"
    return f"Timeline of {escape(scope)} as {fmt}: {count} entries, {state}."


def page_entry(*, kind: str, summary: str, job_id: str) -> str:
    """What one timeline entry says on a structured page (time and actor are shown apart)."""
    job = f" {code(job_id)}" if job_id else ""
    return f"{kind}{job}: {escape(summary)}"


# Links to an incident's web page.


def page_link(*, incident_id: str, url: str, expires_at: float) -> str:
    """``timeline --link``: the link, only for the person who asked."""
    return (
        f"The page of incident {code(incident_id)}, readable by anyone holding this link until "
        f"{utc(expires_at)}: {url}\n`timeline {incident_id} --revoke-links` stops every link given so far."
    )


def page_links_revoked(*, incident_id: str) -> str:
    """``timeline --revoke-links``: every link given so far stopped working."""
    return f"Every link to the page of incident {code(incident_id)} given so far has stopped working."


def page_links_off() -> str:
    """``timeline --link`` on a bot without a page key."""
    return (
        "Web pages of incidents are not set up here: the bot needs `CHATOPS_PAGE_KEY` and `CHATOPS_PAGE_URL`."
    )


def page_links_need_incident() -> str:
    """``timeline --link`` outside an incident."""
    return "Only incidents have a web page: name one (`timeline INC --link`), or ask in the channel of an open one."


# The web page.


def web_not_found() -> str:
    """The page's answer to a missing, bad, expired or revoked link (it never says which)."""
    return "Not found."


def web_title(*, incident_id: str, title: str) -> str:
    """The page title."""
    return f"Incident {incident_id}: {title}"


def web_state(*, is_open: bool) -> str:
    """The incident's state in one word."""
    return "open" if is_open else "closed"


def web_duration(*, seconds: float, is_open: bool) -> str:
    """How long the incident ran (or has run so far)."""
    return f"{duration(seconds)} so far" if is_open else duration(seconds)


def web_live() -> str:
    """Said while the page follows the open incident."""
    return "Live: this page updates itself while the incident is open."
