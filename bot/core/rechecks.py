"""A pending request is re-planned while it waits, so a change made outside the bot voids it too.

A job run through the bot that changes a planned target voids the requests resting on it at once
(:mod:`bot.core.stale_requests`). A change made outside the bot (``kubectl cordon``, a controller
replacing a pod, another tool) is seen here: every :data:`RECHECK_INTERVAL_SECONDS`, the job each
pending request waits to release is run again as a plan (a dry run; it changes nothing), and its
witnesses are compared with those the approvers were shown:

- the same: nothing is said, the request keeps waiting;
- a witness differs or is gone: the request is voided, naming what changed, and its job dropped;
- the plan now fails (the node is gone, a pod would be lost): the request is voided with the reason;
- the re-check itself was cancelled or crashed: nothing is decided; the next round tries again.

A re-check job has no thread of its own (no card, no reply) and no timeline entries: what it finds is
recorded as the request's answer. The approved job still compares the plan's witnesses before acting
(``workers.runtime``), so a change between the last round and the approval is caught there.

Pure functions; the engine submits the rounds and :mod:`bot.approval_store` applies the outcomes
atomically, so a re-check read twice (or by two bot processes) decides once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.core.approvals import Answer, ApprovalRequest, ApprovalState, Outcome, stale_targets
from bot.core.plan_gate import witnesses_of
from shared.jobevents import EventKind, JobEvent
from shared.jobs import RECHECK_INFIX, JobSpec, recheck_job_id
from shared.messages import approvals as messages
from shared.schedules import SCHEDULE_ARGUMENT

RECHECK_INTERVAL_SECONDS = 60.0
"""How often a pending request's plan is run again (a change outside the bot shows at most this late)."""


def recheck_round(now: float, *, interval: float = RECHECK_INTERVAL_SECONDS) -> int:
    """The round ``now`` falls in: every bot process ticking within one interval names the same round."""
    return int(now // interval)


def is_recheck(event: JobEvent) -> bool:
    """Whether ``event`` is of a re-check job (it has no thread and no timeline entries of its own)."""
    return RECHECK_INFIX in event.job_id


def rechecked_job(event: JobEvent) -> str | None:
    """The gated job whose re-check ``event`` ends (its last word), or None for any other event."""
    if not event.kind.is_final or not is_recheck(event):
        return None
    return event.job_id.rsplit(RECHECK_INFIX, 1)[0]


def recheck_spec(parked: JobSpec, *, round_: int) -> JobSpec:
    """The job ``parked`` (awaiting approval) run again as a plan: a dry run, released by no approval,
    speaking in no thread."""
    job_id = recheck_job_id(parked.job_id, round_)
    # Neither released by the approval nor deferred to the job's start: the plan runs now.
    kwargs: dict[str, Any] = {
        key: value for key, value in parked.kwargs.items() if key not in {"approval", SCHEDULE_ARGUMENT}
    }
    request: Mapping[str, Any] = kwargs.get("request") or {}
    kwargs["request"] = {**request, "job_id": job_id, "channel": "", "thread_ts": "", "undo": None}
    command = request.get("command")
    if isinstance(command, Mapping):  # what it runs, as data: the same command, as a plan
        arguments = {**(command.get("arguments") or {}), "dry_run": True}
        kwargs["request"]["command"] = {**command, "arguments": arguments}
    kwargs["dry_run"] = True
    return dataclasses.replace(parked, job_id=job_id, kwargs=kwargs)


def due(
    requests: list[ApprovalRequest], *, now: float, interval: float = RECHECK_INTERVAL_SECONDS
) -> list[ApprovalRequest]:
    """The requests worth re-checking: pending, with a plan that read something, shown at least an
    interval ago (a plan just shown is as fresh as a re-check would be)."""
    return [
        request
        for request in requests
        if request.state is ApprovalState.PENDING
        and request.witnesses
        and now - request.created_at >= interval
    ]


def recheck_outcome(request: ApprovalRequest, event: JobEvent, *, now: float) -> Answer:
    """What the last word ``event`` of a re-check does to the pending ``request``."""
    unchanged = Answer(request, Outcome.STILL_PENDING, changed=False, reply="")
    if request.state is not ApprovalState.PENDING:
        return unchanged
    if event.kind is EventKind.PLANNED:
        stale = stale_targets(request, observed=witnesses_of(event.details))
        if not stale:
            return unchanged
        reply = messages.voided_by_a_change_outside(targets=stale)
        reason = ", ".join(stale)
    elif event.kind is EventKind.FAILED:
        reason = event.text.strip() or "the plan failed"
        reply = messages.voided_plan_no_longer_holds(reason=reason)
    else:
        return unchanged  # cancelled or crashed: nothing learned, the next round tries again
    voided = dataclasses.replace(
        request, state=ApprovalState.VOIDED, decided_at=now, decided_by=None, reason=reason
    )
    return Answer(voided, Outcome.VOIDED, changed=True, reply=reply)
