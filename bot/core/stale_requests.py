"""A pending request is voided as soon as a job changes what its plan rests on, not once it is approved.

The plan of a request records a witness of every object it read (``node/node-3``,
``deployment/default/web``…). When a job run through the bot changes one of those objects (someone
cordons the node a drain waits to be approved for, or scales the deployment a rollback was planned
on), the request no longer describes what would happen: it is voided there and then, the parked job
is dropped, and its thread says which target changed. A change made outside the bot (``kubectl``)
is found by the re-checks of :mod:`bot.core.rechecks`, and the approved job itself still compares
the plan's witnesses before acting.

Pure functions; the engine applies them to the job events it reads, atomically through the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from bot.core.approvals import Answer, ApprovalRequest, ApprovalState, Outcome
from bot.core.plan_gate import is_request_plan
from shared import commands
from shared.invocation import UnknownCommand, maybe_invocation
from shared.jobevents import COMMAND_DETAIL, EventKind, JobEvent, is_lookup
from shared.messages import approvals as messages
from shared.vocabulary import READ_ONLY_COMMANDS


def changed_by(event: JobEvent, *, default_namespace: str) -> frozenset[str]:
    """The objects (as plans name them) a job that just succeeded changed; empty for anything else."""
    if event.kind is not EventKind.SUCCEEDED or is_lookup(event) or is_request_plan(event):
        return frozenset()
    ran = maybe_invocation(event.details.get(COMMAND_DETAIL))
    try:
        command = ran.command() if ran is not None else None
    except UnknownCommand:
        command = None
    if command is None:
        return frozenset()
    if command.dry_run or command.name in READ_ONLY_COMMANDS:
        return frozenset()
    if isinstance(command, commands.NodeCommand):
        return frozenset({f"node/{command.node}"})
    if isinstance(command, commands.DeploymentCommand):
        kind = command.kind.value if isinstance(command, commands.RolloutCommand) else "deployment"
        return frozenset({f"{kind}/{command.namespace or default_namespace}/{command.deployment}"})
    return frozenset()


def void_for(request: ApprovalRequest, *, changed: Collection[str], by_job: str, now: float) -> Answer:
    """Void a pending request whose plan read one of ``changed`` (changed by the job ``by_job``)."""
    stale = tuple(target for target, _ in request.witnesses if target in changed)
    if request.state is not ApprovalState.PENDING or not stale or request.job_id == by_job:
        return Answer(request, Outcome.STILL_PENDING, changed=False, reply="")
    voided = dataclasses.replace(
        request, state=ApprovalState.VOIDED, decided_at=now, decided_by=None, reason=", ".join(stale)
    )
    reply = messages.voided_while_pending(targets=stale, job_id=by_job)
    return Answer(voided, Outcome.VOIDED, changed=True, reply=reply)
