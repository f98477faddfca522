"""Approval requests as values, and the pure state machine every answer goes through.

A risky command does not run on one person's word. When the policy attaches an
:class:`~bot.core.policy.ApprovalRequirement` to an allowed command, the engine opens an
:class:`ApprovalRequest` for the job, and people answer it in the thread of the request::

    planning ──plan shown──▶ pending ──approve × count──▶ approved ──targets changed──▶ voided
       │                       │ ├──deny──────────────▶ denied
       ├──plan failed─▶ refused │ ├──cancel (requester)─▶ cancelled
       ├──cancel──▶ cancelled   │ └──deadline passed────▶ expired
       └──deadline──▶ expired   └──(targets changed)────▶ voided

The plan comes before the request (:mod:`bot.core.plan_gate`): a request is opened ``planning`` while
its dry run runs, and nobody is asked (no answer counts) until the plan is shown; a plan that fails
(or is cancelled, or never ends) refuses the request, and the job never runs.

Rules checked on every answer, in this order: a request past its deadline expires first (so a late
answer never decides it); a decided request stays decided; the requester can neither approve nor
deny (they ``cancel``); the person must be an approver under the requirement
(:func:`~bot.core.policy.is_approver`); an approval counts once per person, and ``count`` different
people decide it; one ``deny`` decides it.

The request remembers the plan it was shown for (the targets' ``resourceVersion``), so the job can
call :func:`verify_plan` just before acting and void an approval given for a cluster that has moved on.

Everything here is pure: each function takes the request and ``now`` and returns an :class:`Answer`
with the new request and the sentence to reply. :mod:`bot.approval_store` makes the transitions atomic
in Redis, so one decision wins even when many people answer at the same instant.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from bot.core.policy import ApprovalRequirement, Policy, is_approver
from shared.invocation import Invocation, maybe_invocation
from shared.messages import approvals as messages
from shared.messages import freezes as freeze_messages
from shared.names import APPROVAL_PREFIX


class ApprovalState(enum.StrEnum):
    """Where a request is in its life."""

    PLANNING = "planning"
    """Asked for, its plan still running: nobody is asked yet and no answer counts."""
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    VOIDED = "voided"
    """Approved (or pending) for a plan whose targets have changed since: it no longer authorises anything."""
    REFUSED = "refused"
    """Its plan failed, was cancelled or timed out: nobody was asked, and nothing runs."""

    @property
    def is_open(self) -> bool:
        """Whether answers can still change the request."""
        return self is ApprovalState.PENDING

    @property
    def is_live(self) -> bool:
        """Whether the request is still undecided: pending, or waiting for its plan."""
        return self in {ApprovalState.PLANNING, ApprovalState.PENDING}


class Outcome(enum.StrEnum):
    """What one answer (or check) did to a request."""

    RECORDED = "recorded"
    """An approval counted; more are needed."""
    APPROVED = "approved"
    """This approval completed the quorum: the job may run."""
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    """The request is past its deadline (expired now, or earlier)."""
    VOIDED = "voided"
    STILL_PENDING = "still pending"
    """Nothing changed: the request waits for more answers."""
    STILL_VALID = "still valid"
    """:func:`verify_plan` found the targets unchanged."""
    ALREADY_COUNTED = "already counted"
    SELF_APPROVAL = "self approval"
    REQUESTER_DENY = "requester deny"
    NOT_APPROVER = "not approver"
    NOT_REQUESTER = "not requester"
    ALREADY_DECIDED = "already decided"
    NOT_YET_ASKED = "not yet asked"
    """An answer to a request whose plan is still running: nobody is asked before the plan is shown."""
    ASKED = "asked"
    """The plan was shown: the request is now pending and approvers are asked."""
    REFUSED = "refused"
    """The plan failed: the request is closed without asking anybody."""

    @property
    def is_refusal(self) -> bool:
        """Whether the answer was refused and changed nothing."""
        return self in _REFUSALS


_REFUSALS = frozenset(
    {
        Outcome.ALREADY_COUNTED,
        Outcome.SELF_APPROVAL,
        Outcome.REQUESTER_DENY,
        Outcome.NOT_APPROVER,
        Outcome.NOT_REQUESTER,
        Outcome.ALREADY_DECIDED,
        Outcome.NOT_YET_ASKED,
    }
)


@dataclasses.dataclass(frozen=True)
class Vote:
    """One approval: who gave it and when (unix seconds)."""

    user: str
    at: float
    incident: bool = False
    """Given by someone of the incident group (what a break-glass request needs one of)."""


@dataclasses.dataclass(frozen=True)
class ApprovalRequest:
    """One request for approval of one job, with every answer that counted so far."""

    approval_id: str
    job_id: str
    requester: str
    channel: str
    thread_ts: str
    cluster: str
    description: str
    """What would run, in a few words (``drain node/n1``)."""
    approvers: tuple[str, ...]
    """Who may answer, as the policy names them (groups, user ids, Slack user-group ids, ``*``)."""
    count: int
    created_at: float
    expires_at: float
    witnesses: tuple[tuple[str, str], ...] = ()
    """The plan's targets and their ``resourceVersion`` when it was shown, sorted by target."""
    state: ApprovalState = ApprovalState.PENDING
    votes: tuple[Vote, ...] = ()
    decided_at: float | None = None
    decided_by: str | None = None
    """Who denied or cancelled it, or whose approval completed the quorum; ``None`` for expiry."""
    reason: str | None = None
    """The reason given with ``deny``, or the changed targets for a voided request."""
    command: Invocation | None = None
    """What the job runs, as data (name and arguments). None on a request stored by a version that
    kept only the :attr:`description`: it is answered as any other, and its view says what it lacks."""
    incident: tuple[str, ...] = ()
    """A break-glass during a freeze: one approval must come from these (the policy's incident group)."""

    @property
    def requirement(self) -> ApprovalRequirement:
        """The policy requirement this request was opened under."""
        return ApprovalRequirement(
            approvers=self.approvers, count=self.count, ttl_seconds=self.expires_at - self.created_at
        )

    @property
    def approved_by(self) -> tuple[str, ...]:
        """The people whose approvals counted, in the order they answered."""
        return tuple(vote.user for vote in self.votes)

    def to_json(self) -> dict[str, Any]:
        """The JSON-safe form stored in Redis and put in timeline details."""
        data = dataclasses.asdict(self)
        data["state"] = self.state.value
        data["witnesses"] = dict(self.witnesses)
        data["command"] = self.command.to_json() if self.command is not None else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApprovalRequest:
        """Rebuild a request written by :meth:`to_json`."""
        fields = dict(data)
        fields["approvers"] = tuple(fields["approvers"])
        fields["incident"] = tuple(fields.get("incident") or ())
        fields["state"] = ApprovalState(fields["state"])
        fields["votes"] = tuple(
            Vote(user=vote["user"], at=vote["at"], incident=bool(vote.get("incident")))
            for vote in fields.get("votes", ())
        )
        fields["witnesses"] = _sorted_versions(fields.get("witnesses") or {})
        fields["command"] = maybe_invocation(fields.get("command"))
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Answer:
    """The result of one answer or check: the request after it, what happened, and what to reply."""

    request: ApprovalRequest
    outcome: Outcome
    changed: bool
    """Whether ``request`` differs from the one given, and so must be saved."""
    reply: str

    @property
    def decided(self) -> bool:
        """Whether this very answer moved the request out of ``pending`` (exactly one answer does)."""
        return self.changed and self.outcome in {
            Outcome.APPROVED,
            Outcome.DENIED,
            Outcome.CANCELLED,
            Outcome.EXPIRED,
            Outcome.REFUSED,
        }


def approval_id_for(*, job_id: str) -> str:
    """The id of the approval request for a job: one request per job, stable across redeliveries."""
    return APPROVAL_PREFIX + job_id.removeprefix("job-")


def new_request(
    *,
    approval_id: str,
    job_id: str,
    requester: str,
    channel: str,
    thread_ts: str,
    cluster: str,
    description: str,
    requirement: ApprovalRequirement,
    now: float,
    witnesses: Mapping[str, str] | None = None,
    command: Invocation | None = None,
) -> ApprovalRequest:
    """Open a pending request under ``requirement``, for the plan whose targets are ``witnesses``.

    ``command`` is what the job runs, as data.
    """
    if requirement.count < 1:
        raise ValueError("an approval requirement needs a count of at least 1")
    return ApprovalRequest(
        approval_id=approval_id,
        job_id=job_id,
        requester=requester,
        channel=channel,
        thread_ts=thread_ts,
        cluster=cluster,
        description=description,
        approvers=tuple(requirement.approvers),
        count=requirement.count,
        created_at=now,
        expires_at=now + requirement.ttl_seconds,
        witnesses=_sorted_versions(witnesses or {}),
        command=command,
    )


def request_text(request: ApprovalRequest) -> str:
    """The sentence asking for approval, for the thread of the request."""
    return messages.request_posted(
        approval_id=request.approval_id,
        description=request.description,
        requester=request.requester,
        approvers=request.approvers,
        count=request.count,
        expires_at=request.expires_at,
        cluster=request.cluster,
    )


def opens_request(request: ApprovalRequest) -> bool:
    """True for the request as first asked: pending, nobody has answered yet."""
    return request.state is ApprovalState.PENDING and not request.votes


def approve(
    request: ApprovalRequest,
    *,
    policy: Policy,
    user: str,
    user_groups: frozenset[str] = frozenset(),
    now: float,
) -> Answer:
    """``user`` approves: counted once per person, decided when ``count`` different approvers agree."""
    closed = _closed(request, now=now)
    if closed is not None:
        return closed
    if user == request.requester:
        return _refuse(request, Outcome.SELF_APPROVAL, messages.self_approval_refused())
    if not is_approver(policy, request.requirement, user=user, user_groups=user_groups):
        return _refuse(
            request, Outcome.NOT_APPROVER, messages.not_an_approver(user=user, approvers=request.approvers)
        )
    if user in request.approved_by:
        have = len(request.votes)
        return _refuse(
            request,
            Outcome.ALREADY_COUNTED,
            messages.already_counted(user=user, have=have, need=request.count),
        )
    incident = bool(request.incident) and _named(policy, request.incident, user=user, user_groups=user_groups)
    votes = (*request.votes, Vote(user=user, at=now, incident=incident))
    glass_ok = not request.incident or any(vote.incident for vote in votes)
    if len(votes) < request.count or not glass_ok:
        counted = dataclasses.replace(request, votes=votes)
        reply = messages.approval_recorded(user=user, have=len(votes), need=request.count)
        if len(votes) >= request.count:
            reply = freeze_messages.still_needs_incident(incident=request.incident)
        return Answer(counted, Outcome.RECORDED, changed=True, reply=reply)
    decided = dataclasses.replace(
        request, votes=votes, state=ApprovalState.APPROVED, decided_at=now, decided_by=user
    )
    reply = messages.approved(approvers=decided.approved_by)
    return Answer(decided, Outcome.APPROVED, changed=True, reply=reply)


def deny(
    request: ApprovalRequest,
    *,
    policy: Policy,
    user: str,
    user_groups: frozenset[str] = frozenset(),
    reason: str | None = None,
    now: float,
) -> Answer:
    """``user`` refuses: one approver's ``deny`` decides the request, whatever the quorum."""
    closed = _closed(request, now=now)
    if closed is not None:
        return closed
    if user == request.requester:
        return _refuse(request, Outcome.REQUESTER_DENY, messages.requester_cannot_deny())
    if not is_approver(policy, request.requirement, user=user, user_groups=user_groups):
        return _refuse(
            request, Outcome.NOT_APPROVER, messages.not_an_approver(user=user, approvers=request.approvers)
        )
    decided = dataclasses.replace(
        request, state=ApprovalState.DENIED, decided_at=now, decided_by=user, reason=reason or None
    )
    return Answer(decided, Outcome.DENIED, changed=True, reply=messages.denied(user=user, reason=reason))


def cancel(request: ApprovalRequest, *, user: str, now: float) -> Answer:
    """The requester withdraws a pending request (or one still planning); nobody else may."""
    closed = _closed(request, now=now, planning_ok=True)
    if closed is not None:
        return closed
    if user != request.requester:
        return _refuse(request, Outcome.NOT_REQUESTER, messages.cancel_refused(requester=request.requester))
    decided = dataclasses.replace(request, state=ApprovalState.CANCELLED, decided_at=now, decided_by=user)
    return Answer(decided, Outcome.CANCELLED, changed=True, reply=messages.cancelled(user=user))


def expire(request: ApprovalRequest, *, now: float) -> Answer:
    """Expire the request if its deadline has passed; a request still in time is left as it is.

    A request still planning expires too: a plan that never ends asks nobody.
    """
    closed = _closed(request, now=now, planning_ok=True)
    if closed is not None:
        return closed
    return _still_pending(request)


def verify_plan(request: ApprovalRequest, *, observed: Mapping[str, str], now: float) -> Answer:
    """Check, just before acting, that the targets still have the ``resourceVersion`` the plan showed.

    ``observed`` maps each target to its current ``resourceVersion``; a target missing from it has
    gone. A request that is approved (or still pending) whose targets changed becomes ``voided``; an
    approved one whose targets match is reported ``still valid`` and left as it is.
    """
    if request.state is ApprovalState.PENDING:
        closed = _closed(request, now=now)
        if closed is not None:
            return closed
    elif request.state is not ApprovalState.APPROVED:
        return _refuse(request, Outcome.ALREADY_DECIDED, messages.already_decided(state=request.state.value))
    changed = stale_targets(request, observed=observed)
    if changed:
        voided = dataclasses.replace(
            request, state=ApprovalState.VOIDED, decided_at=now, decided_by=None, reason=", ".join(changed)
        )
        return Answer(voided, Outcome.VOIDED, changed=True, reply=messages.voided(targets=changed))
    if request.state is ApprovalState.PENDING:
        return _still_pending(request)
    return Answer(request, Outcome.STILL_VALID, changed=False, reply=messages.still_valid())


def stale_targets(request: ApprovalRequest, *, observed: Mapping[str, str]) -> tuple[str, ...]:
    """The plan's targets whose ``resourceVersion`` differs from ``observed`` (or that are gone)."""
    return tuple(target for target, version in request.witnesses if observed.get(target) != version)


def _closed(request: ApprovalRequest, *, now: float, planning_ok: bool = False) -> Answer | None:
    """The answer for a request that can no longer be changed by people, expiring it if it is due.

    A request still planning takes no answer (``planning_ok`` lets a cancel or the expiry through).
    """
    if request.state is ApprovalState.EXPIRED:
        return Answer(
            request, Outcome.EXPIRED, changed=False, reply=messages.expired(expires_at=request.expires_at)
        )
    if not request.state.is_live:
        return _refuse(request, Outcome.ALREADY_DECIDED, messages.already_decided(state=request.state.value))
    if now >= request.expires_at:
        expired = dataclasses.replace(request, state=ApprovalState.EXPIRED, decided_at=now, decided_by=None)
        return Answer(
            expired, Outcome.EXPIRED, changed=True, reply=messages.expired(expires_at=request.expires_at)
        )
    if request.state is ApprovalState.PLANNING and not planning_ok:
        return _refuse(request, Outcome.NOT_YET_ASKED, messages.plan_still_running())
    return None


def _still_pending(request: ApprovalRequest) -> Answer:
    reply = messages.still_pending(have=len(request.votes), need=request.count, expires_at=request.expires_at)
    return Answer(request, Outcome.STILL_PENDING, changed=False, reply=reply)


def _refuse(request: ApprovalRequest, outcome: Outcome, reply: str) -> Answer:
    return Answer(request, outcome, changed=False, reply=reply)


def _named(policy: Policy, names: tuple[str, ...], *, user: str, user_groups: frozenset[str]) -> bool:
    return is_approver(policy, ApprovalRequirement(approvers=names), user=user, user_groups=user_groups)


def _sorted_versions(versions: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(target), str(version)) for target, version in versions.items()))
