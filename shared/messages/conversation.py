"""Sentences of the conversation itself: help, job lists, cancellation, approvals."""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.jobs import JobSummary
from shared.messages import usage
from shared.messages import windows as window_messages
from shared.messages.approvals import mention
from shared.reference import CommandReference, command_reference, reference_for
from shared.text_safety import code, escape


def jobs_list(jobs: Sequence[JobSummary], *, cluster: str) -> str:
    """The answer to ``jobs``."""
    if not jobs:
        return f"No jobs on cluster {code(cluster)} in the last day."
    lines = [f"Latest jobs on cluster {code(cluster)}:"]
    for job in jobs:
        asked = f", asked by {mention(job.user)}" if job.user else ""
        when = f" at {job.enqueued_at:%H:%M:%S} UTC" if job.enqueued_at and job.starts_at is None else ""
        later = window_messages.starts(job.starts_at)
        lines.append(f"• {code(job.job_id)} {job.status}: {escape(job.description)}{asked}{when}{later}")
    return "\n".join(lines)


def no_such_job(*, job_id: str) -> str:
    """``cancel`` named a job nobody knows."""
    return f"There is no job {code(job_id)} (jobs are remembered for a day). `jobs` lists the latest."


def cancel_result(*, job_id: str, status: str) -> str:
    """What ``cancel`` did, given the job's status when asked."""
    if status in {"queued", "deferred", "scheduled"}:
        return f"Cancelled {code(job_id)} before it started; nothing was changed."
    if status == "started":
        return f"Asked {code(job_id)} to stop: it stops before its next step and says what it finished."
    return f"{code(job_id)} has already ended ({status}); there is nothing to cancel."


def cancel_not_allowed(*, job_id: str, requester: str, approvers: Sequence[str]) -> str:
    """``cancel`` by someone who neither asked for the job nor approves what it does."""
    asked = f"Only {mention(requester)}, who asked for {code(job_id)}"
    if not approvers:
        return f"{asked}, may cancel it. Ask them, or wait for it to finish."
    named = ", ".join(code(approver) for approver in approvers)
    return f"{asked}, or one of its approvers ({named}) may cancel it. Ask one of them."


def approval_not_available(*, command: str, approvers: Sequence[str], count: int) -> str:
    """An allowed command that needs approval, before approvals exist in this version."""
    who = ", ".join(code(a) for a in approvers)
    return (
        f"{code(command)} needs {count} approval(s) from {who}, and approvals are not available in this "
        "version yet, so nothing was queued. Use --dry-run to see the plan."
    )


HELP_WIDTH = 80
"""The widest line of ``help``: it reads on a laptop-width Slack window and in a terminal."""

_WORD = re.compile(r"`[^`]*`\S*|\S+")
"""A word of a reply to wrap, a code span (with what sticks to it, like a comma) counting as one."""


def fill(words: Sequence[str], *, width: int = HELP_WIDTH, indent: str = "  ", sep: str = " ") -> list[str]:
    """``words`` in lines of at most ``width`` characters (a longer word stands alone), later ones indented."""
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line}{sep}{word}" if line else (indent if lines else "") + word
        if line and len(candidate) > width:
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    return [*lines, line] if line else lines


def wrap(text: str, *, width: int = HELP_WIDTH, indent: str = "") -> list[str]:
    """Prose in lines of at most ``width`` characters, never breaking inside a code span."""
    return fill(_WORD.findall(text), width=width, indent=indent)


def help_text(*, allowed: Sequence[str], topic: str | None, cluster: str | None = None) -> str:
    """``help``: the commands this person may run, by area; ``help CMD``: one command (or group) in detail.

    ``cluster`` is where commands typed here go without ``--cluster``; plain ``help`` names it. Every
    line fits :data:`HELP_WIDTH` columns.
    """
    if topic is not None:
        return "\n\n".join(help_entry(entry, allowed=entry.name in allowed) for entry in reference_for(topic))
    entries = [entry for entry in command_reference() if entry.name in allowed]
    if not entries:
        return "You may not run any command here. Ask an admin to add you to the policy."
    heading = "Commands you may run here" + ("" if cluster is None else f" (on cluster {code(cluster)})")
    areas = [help_area(area, entries) for area in usage.AREAS]
    return "\n".join([heading + ":", *(area for area in areas if area), help_footer()])


def help_area(area: str, entries: Sequence[CommandReference]) -> str:
    """One area of ``help``: its name, then the short usage of each of ``entries`` in it ("" if none)."""
    shown = [f"`{entry.short_usage}`" for entry in entries if entry.area == area]
    if not shown:
        return ""
    return "\n".join(fill([f"*{area}:*", *(name + "," for name in shown[:-1]), shown[-1]]))


def help_footer() -> str:
    """The foot of ``help``: the options every command takes, and how to see one in detail."""
    lines = wrap(usage.common_options())
    lines += wrap("`help CMD` shows a command's usage, its options and an example.")
    return "\n".join(lines)


def help_entry(entry: CommandReference, *, allowed: bool) -> str:
    """``help CMD``: what the command does, its usage, an example, its kubectl spellings."""
    lines = wrap(f"*{entry.name}*: {entry.summary}")
    lines += fill(["Usage:", *(f"`{part}`" for part in _usage_lines(entry))], sep=" ")
    if entry.example:
        lines += wrap(f"Example: `{entry.example}`")
    if entry.aliases:
        lines += wrap("Also written: " + ", ".join(f"`{alias}`" for alias in entry.aliases))
    if not allowed:
        lines.append("You may not run it here under the current policy.")
    return "\n".join(lines)


def _usage_lines(entry: CommandReference) -> list[str]:
    """The usage line cut between its words into pieces that fit a line each once quoted."""
    return [line.strip() for line in fill(entry.parts, width=HELP_WIDTH - len("Usage: ``"), indent="")]


def unparsed(text: str) -> str:
    """Timeline summary of a message that was not a command."""
    return "not understood: " + escape(text[:200])


def denied_summary(description: str) -> str:
    """Timeline summary of a refused command."""
    return f"refused: {description}"
