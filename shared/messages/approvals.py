"""Sentences about approval requests: the ask, every answer, and every refusal of an answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shared.text_safety import code, escape


def mention(user: str) -> str:
    """A Slack mention for a user id (``U…``/``W…``); any other name is shown as code, never pinged."""
    rest = user[1:]
    if rest and user[0] in "UW" and rest.replace("_", "").isalnum() and rest.isupper():
        return f"<@{user}>"
    return code(user)


def _people(users: Sequence[str]) -> str:
    named = [mention(user) for user in users]
    if len(named) <= 1:
        return "".join(named)
    return ", ".join(named[:-1]) + " and " + named[-1]


def _utc(at: float) -> str:
    return dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M UTC")


def approvals_word(count: int) -> str:
    """``1 approval`` / ``2 approvals``."""
    return f"{count} approval" if count == 1 else f"{count} approvals"


def request_posted(
    *,
    approval_id: str,
    description: str,
    requester: str,
    approvers: Sequence[str],
    count: int,
    expires_at: float,
    cluster: str,
) -> str:
    """The ask, posted in the thread of the request; it names the cluster, so nobody approves blind."""
    who = ", ".join(code(approver) for approver in approvers)
    return (
        f"{escape(description)} on cluster {code(cluster)} needs {approvals_word(count)} from {who}.\n"
        f"Asked by {mention(requester)} (request {code(approval_id)}); "
        f"answer `approve` or `deny REASON` by {_utc(expires_at)}."
    )


def approval_recorded(*, user: str, have: int, need: int) -> str:
    """An approval counted, and more are still needed."""
    missing = need - have
    return f"{mention(user)} approved ({have} of {need}); {approvals_word(missing)} still needed."


def approved(*, approvers: Sequence[str]) -> str:
    """The request reached its quorum: the work goes ahead."""
    return f"Approved by {_people(approvers)}; the job goes ahead."


def still_pending(*, have: int, need: int, expires_at: float) -> str:
    """A request still waiting for answers."""
    return f"Waiting for approval: {have} of {need} so far, open until {_utc(expires_at)}."


def already_counted(*, user: str, have: int, need: int) -> str:
    """The same person approved twice; the second answer changes nothing."""
    return f"{mention(user)} has already approved; still {have} of {need}, a different approver is needed."


def self_approval_refused() -> str:
    """The requester tried to approve their own request."""
    return "You asked for this, so your approval cannot count: another approver has to approve it."


def requester_cannot_deny() -> str:
    """The requester answered ``deny`` to their own request; withdrawing is ``cancel``."""
    return "You asked for this; to withdraw the request, use `cancel` with its job id instead of `deny`."


def not_an_approver(*, user: str, approvers: Sequence[str]) -> str:
    """Someone outside the approver list answered."""
    who = ", ".join(code(approver) for approver in approvers)
    return f"{mention(user)} is not an approver for this request; it needs an answer from {who}."


def already_decided(*, state: str) -> str:
    """An answer to a request that is no longer pending."""
    return f"This request is already {state}; answers no longer change it."


def expired(*, expires_at: float) -> str:
    """The request ran out of time before anyone decided."""
    return f"This request expired at {_utc(expires_at)} without enough approvals; nothing was run."


def denied(*, user: str, reason: str | None) -> str:
    """Someone refused the request."""
    because = f": {escape(reason)}" if reason else "."
    return f"Denied by {mention(user)}{because} Nothing will be run."


def cancelled(*, user: str) -> str:
    """The requester withdrew the request."""
    return f"{mention(user)} withdrew this request; nothing will be run."


def cancel_refused(*, requester: str) -> str:
    """Someone other than the requester tried to withdraw it."""
    return f"Only {mention(requester)}, who asked for this, can withdraw the request."


def voided(*, targets: Sequence[str]) -> str:
    """The targets changed after the plan was approved, so the approval no longer holds."""
    changed = ", ".join(code(target) for target in targets)
    return (
        f"The approval is void: {changed} changed since the plan was shown. "
        "Nothing was run; ask again for a fresh plan."
    )


def voided_while_pending(*, targets: Sequence[str], job_id: str) -> str:
    """A pending request whose targets another job changed: its plan no longer holds, nobody may approve it."""
    changed = ", ".join(code(target) for target in targets)
    return (
        f"This request is void: {code(job_id)} changed {changed} since the plan was shown.\n"
        "Nothing will run; ask again for a fresh plan."
    )


def still_valid() -> str:
    """The targets are as they were when the plan was approved."""
    return "The approved plan still matches the cluster."


def no_pending_request() -> str:
    """``approve``/``deny`` typed in a thread with nothing awaiting an answer."""
    return "There is no request waiting for approval in this thread."


def name_the_request(*, approval_ids: Sequence[str]) -> str:
    """A typed answer in a thread where several requests wait: which one is meant must be said."""
    listed = ", ".join(code(approval_id) for approval_id in approval_ids)
    example = approval_ids[0]
    return (
        f"{len(approval_ids)} requests wait for approval in this thread ({listed}); say which one, "
        f"for example `approve {example}` or `deny {example} REASON`, or use the buttons on its message."
    )


def no_such_request(*, approval_id: str) -> str:
    """An answer to a request nobody knows (or one forgotten after its retention)."""
    return f"There is no approval request {code(approval_id)}."


def planning_first(*, description: str, cluster: str, approvers: Sequence[str]) -> str:
    """The answer to a command that needs approval: its plan runs first, and only then are approvers asked."""
    who = ", ".join(code(approver) for approver in approvers)
    return (
        f"{escape(description)} on cluster {code(cluster)} needs approval from {who}.\n"
        "Working out the plan first: approvers are asked once it is shown."
    )


def plan_heading() -> str:
    """Above the plan, where a surface shows it in text under the request (the console)."""
    return "The plan:"


def plan_still_running() -> str:
    """An answer to a request whose plan is not shown yet."""
    return "The plan of this request is still being worked out: approvals open once it is shown."


def plan_refused(*, description: str, reason: str) -> str:
    """The plan of a request did not succeed: nobody is asked, nothing runs; ``reason`` is the plan's last word."""
    return (
        f"{escape(description)} cannot go ahead: its plan did not succeed.\n"
        f"No approver was asked and nothing was changed.\n> {reason}"
    )


def answer_in_thread() -> str:
    """approve/deny typed outside a request's thread."""
    return "Answer an approval request in its thread: reply `approve` or `deny REASON` there."


def job_gone(*, job_id: str) -> str:
    """Approved, but the parked job was no longer there (it is kept a day)."""
    return f"Approved, but the job {code(job_id)} is no longer waiting (jobs wait a day at most). Run the command again."


def voided_by_a_change_outside(*, targets: Sequence[str]) -> str:
    """A pending request whose targets changed outside the bot (``kubectl``, a controller, another tool),
    found by re-running its plan while it waited."""
    changed = ", ".join(code(target) for target in targets)
    return (
        f"This request is void: {changed} changed outside the bot since the plan was shown.\n"
        "Nothing will run; ask again for a fresh plan."
    )


def voided_plan_no_longer_holds(*, reason: str) -> str:
    """A pending request whose plan, run again while it waited, now fails."""
    return (
        f"This request is void: its plan no longer holds ({reason}).\n"
        "Nothing will run; ask again once the cluster allows it."
    )
