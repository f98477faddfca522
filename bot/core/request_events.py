"""What the job events do to approval requests: a plan opens or refuses its request, a change voids one.

The engine hands every batch of job events it reads to :func:`follow`, which applies, through the
approval store (each step atomic, so a batch read twice changes nothing the second time):

- the last word of a request's plan job (:mod:`bot.core.plan_gate`): planned opens the request and
  asks the approvers, anything else refuses it and drops its parked job;
- a job that succeeded on an object a pending plan read (:mod:`bot.core.stale_requests`): the
  request is voided and its parked job dropped;
- the last word of a pending request's re-check (:mod:`bot.core.rechecks`): a plan that moved or now
  fails voids the request and drops its parked job.

It records each on the timeline and returns the answers that changed a request, for the engine to
say in their threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.core.approvals import Answer, ApprovalRequest, ApprovalState, approval_id_for
from bot.core.plan_gate import planned_job
from bot.core.ports import ApprovalPort, JobPort, TimelinePort
from bot.core.rechecks import rechecked_job
from bot.core.stale_requests import changed_by
from bot.core.timeline import approval_answer_entry, approval_request_entry
from shared.jobevents import JobEvent

ACTOR = "chatops"
"""Who the timeline names for what the bot decided on a job's word."""


def follow(
    events: Iterable[JobEvent],
    *,
    approvals: ApprovalPort,
    jobs: JobPort,
    timeline: TimelinePort,
    default_namespace: str,
    decided: Callable[[ApprovalRequest], None],
) -> list[Answer]:
    """Apply ``events`` to the requests they concern; the answers that changed one, in order.

    ``decided`` is told of each request closed without a person's answer (refused by its plan).
    """
    answers: list[Answer] = []
    for event in events:
        answers.extend(_void_stale(event, approvals=approvals, default_namespace=default_namespace))
        rechecked = rechecked_job(event)
        if rechecked is not None:
            voided = approvals.recheck_reported(approval_id_for(job_id=rechecked), event)
            if voided is not None and voided.changed:
                answers.append(voided)
            continue
        job_id = planned_job(event)
        answer = None if job_id is None else approvals.plan_reported(approval_id_for(job_id=job_id), event)
        if answer is None or not answer.changed:
            continue
        if answer.request.state is ApprovalState.PENDING:
            timeline.append(approval_request_entry(answer.request))
        else:
            decided(answer.request)
        answers.append(answer)
    for answer in answers:
        if not answer.request.state.is_live:
            jobs.discard(answer.request.job_id)
            entry = approval_answer_entry(answer, actor=ACTOR, at=approvals.now())
            if entry is not None:
                timeline.append(entry)
    return answers


def _void_stale(event: JobEvent, *, approvals: ApprovalPort, default_namespace: str) -> list[Answer]:
    changed = changed_by(event, default_namespace=default_namespace)
    if not changed:
        return []
    answers = []
    for pending in approvals.pending():
        if pending.cluster != event.cluster:
            continue
        answer = approvals.void_for(pending.approval_id, changed=changed, by_job=event.job_id)
        if answer is not None and answer.changed:
            answers.append(answer)
    return answers
