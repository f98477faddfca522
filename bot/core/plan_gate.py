"""The plan comes before the request: nobody is asked to approve what has not been planned.

A command that needs approval opens its request ``planning`` (:func:`planning_request`) and runs its
plan as a dry-run job; nobody is asked and no answer counts while it runs. The plan job's last word
decides what happens next (:func:`plan_outcome`):

- ``planned``: the plan is shown, the request becomes ``pending`` with the plan's witnesses and a
  deadline counted from now, and approvers are asked (:func:`plan_shown`);
- ``failed`` or ``cancelled`` (a refusal, a crash, a timeout): the request is ``refused``, the parked
  job is discarded and the requester is told; nobody is asked (:func:`plan_refused`).

No plan, no run: the approved job itself still checks its plan job finished (``workers.runtime``).
Pure functions; :mod:`bot.approval_store` makes each step atomic, so one plan event opens (or
refuses) its request exactly once, however many bot processes read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.core.approvals import (
    Answer,
    ApprovalRequest,
    ApprovalState,
    Outcome,
    approval_id_for,
    new_request,
    request_text,
)
from bot.core.policy import ApprovalRequirement
from shared.invocation import Invocation
from shared.jobevents import EventKind, JobEvent
from shared.jobs import plan_job_id
from shared.messages import approvals as messages

PLAN_SUFFIX = plan_job_id("")
"""What the id of a request's plan job ends with."""


def planning_request(
    *,
    job_id: str,
    requester: str,
    channel: str,
    thread_ts: str,
    cluster: str,
    description: str,
    requirement: ApprovalRequirement,
    now: float,
    command: Invocation | None = None,
) -> ApprovalRequest:
    """The request for ``job_id`` as first opened: waiting for its plan, asking nobody yet.

    ``command`` is what the job runs, as data (the record keeps it, so nothing reads the description).

    Its deadline (``now`` plus the requirement's time to live) bounds how long the plan may take;
    once the plan is shown the approvers get the whole time to live again.
    """
    opened = new_request(
        approval_id=approval_id_for(job_id=job_id),
        job_id=job_id,
        requester=requester,
        channel=channel,
        thread_ts=thread_ts,
        cluster=cluster,
        description=description,
        requirement=requirement,
        now=now,
        command=command,
    )
    return dataclasses.replace(opened, state=ApprovalState.PLANNING)


def is_request_plan(event: JobEvent) -> bool:
    """Whether ``event`` is of the plan job of an approval request.

    Such a job has no message of its own: its plan is shown in the request it opens, and its failure
    in the refusal (:meth:`~bot.core.conversation.Engine.plans_reported`).
    """
    return event.job_id.endswith(PLAN_SUFFIX)


def planned_job(event: JobEvent) -> str | None:
    """The gated job whose plan ``event`` ends (its last word), or None for any other event."""
    if not event.kind.is_final or not is_request_plan(event):
        return None
    return event.job_id.removesuffix(PLAN_SUFFIX)


def witnesses_of(details: Mapping[str, Any]) -> dict[str, str]:
    """The witnesses a plan job's result recorded (``{"plan": {"witnesses": …}}``), if any."""
    plan = details.get("plan")
    found = plan.get("witnesses") if isinstance(plan, Mapping) else None
    return {str(key): str(value) for key, value in (found or {}).items()}


def plan_shown(request: ApprovalRequest, *, witnesses: Mapping[str, str], now: float) -> Answer:
    """The plan succeeded: approvers are asked now, for the plan whose targets are ``witnesses``."""
    if request.state is not ApprovalState.PLANNING:
        return Answer(request, Outcome.ALREADY_DECIDED, changed=False, reply="")
    ttl = request.expires_at - request.created_at
    asked = dataclasses.replace(
        request,
        state=ApprovalState.PENDING,
        created_at=now,
        expires_at=now + ttl,
        witnesses=tuple(sorted((str(k), str(v)) for k, v in witnesses.items())),
    )
    return Answer(asked, Outcome.ASKED, changed=True, reply=request_text(asked))


def plan_refused(request: ApprovalRequest, *, reason: str, now: float) -> Answer:
    """The plan failed, was cancelled or timed out: the request closes, having asked nobody."""
    if request.state is not ApprovalState.PLANNING:
        return Answer(request, Outcome.ALREADY_DECIDED, changed=False, reply="")
    refused = dataclasses.replace(
        request, state=ApprovalState.REFUSED, decided_at=now, decided_by=None, reason=reason or None
    )
    reply = messages.plan_refused(description=request.description, reason=reason)
    return Answer(refused, Outcome.REFUSED, changed=True, reply=reply)


def plan_outcome(request: ApprovalRequest, event: JobEvent, *, now: float) -> Answer:
    """What the plan job's last word ``event`` does to its request."""
    if event.kind is EventKind.PLANNED:
        return plan_shown(request, witnesses=witnesses_of(event.details), now=now)
    return plan_refused(request, reason=event.text, now=now)
