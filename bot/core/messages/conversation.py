"""Sentences of the conversation itself: help, job lists, cancellation, approvals."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.jobs import JobSummary
from bot.core.messages import usage
from bot.core.messages.approvals import mention
from bot.core.reference import CommandReference, command_reference, reference_for
from bot.core.text_safety import code, escape


def jobs_list(jobs: Sequence[JobSummary], *, cluster: str) -> str:
    """The answer to ``jobs``."""
    if not jobs:
        return f"No jobs on cluster {code(cluster)} in the last day."
    lines = [f"Latest jobs on cluster {code(cluster)}:"]
    for job in jobs:
        asked = f", asked by {mention(job.user)}" if job.user else ""
        when = f" at {job.enqueued_at:%H:%M:%S} UTC" if job.enqueued_at else ""
        lines.append(f"• {code(job.job_id)} {job.status}: {escape(job.description)}{asked}{when}")
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


def help_text(*, allowed: Sequence[str], topic: str | None, cluster: str | None = None) -> str:
    """``help``: the commands this person may run; ``help CMD``: one command (or group) in detail.

    ``cluster`` is where commands typed here go without ``--cluster``; plain ``help`` names it.
    """
    if topic is not None:
        return "\n\n".join(
            _help_entry(entry, allowed=entry.name in allowed) for entry in reference_for(topic)
        )
    entries = [entry for entry in command_reference() if entry.name in allowed]
    if not entries:
        return "You may not run any command here. Ask an admin to add you to the policy."
    width = max(len(entry.usage) for entry in entries)
    heading = "Commands you may run here" + ("" if cluster is None else f" (on cluster {code(cluster)})")
    lines = [heading + ":", "```"]
    lines += [f"{entry.usage.ljust(width)}  {entry.summary}" for entry in entries]
    lines += ["```", usage.common_options(), "`help CMD` shows one command in detail, with an example."]
    return "\n".join(lines)


def _help_entry(entry: CommandReference, *, allowed: bool) -> str:
    lines = [f"`{entry.usage}`", entry.summary]
    if entry.example:
        lines.append(f"For example: `{entry.example}`")
    if entry.aliases:
        lines.append("Also written: " + ", ".join(f"`{alias}`" for alias in entry.aliases))
    if not allowed:
        lines.append("You may not run it here under the current policy.")
    return "\n".join(lines)


def unparsed(text: str) -> str:
    """Timeline summary of a message that was not a command."""
    return "not understood: " + escape(text[:200])


def denied_summary(description: str) -> str:
    """Timeline summary of a refused command."""
    return f"refused: {description}"
