"""What the conversation engine needs from the outside world, as protocols.

The engine is pure; adapters give it these: RQ behind :class:`JobPort` (``bot.dispatch``), Redis
behind :class:`ApprovalPort` (``bot.approval_store``) and :class:`TimelinePort`
(``bot.timeline_store``). Tests and the console use the same adapters on fakeredis. An
:class:`Observer` (``bot.observability``) counts what the engine decides; by default nobody does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from bot.core.approvals import Answer, ApprovalRequest
from bot.core.policy import Policy
from bot.core.timeline import Appended, Entry, Incident, Page, Scope, TimelineExport
from shared.freezes import Freeze
from shared.jobevents import JobEvent
from shared.jobs import JobOrigin, JobSpec, JobSummary, Submission


class JobPort(Protocol):
    """The job queue."""

    def submit(self, spec: JobSpec) -> Submission:
        """Queue ``spec`` once; a second submission of the same id is reported as a duplicate."""

    def park(self, spec: JobSpec) -> Submission:
        """Keep ``spec`` without queueing it (it awaits approval); a second park is a duplicate."""

    def release(self, job_id: str) -> Submission | None:
        """Queue a parked job; None if there is no parked job with that id."""

    def discard(self, job_id: str) -> None:
        """Drop a parked job (denied, expired or cancelled); it never runs."""

    def parked(self, job_id: str) -> JobSpec | None:
        """The job parked under ``job_id``, as it was parked; None if none is (released, dropped)."""

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job; return its status before cancelling, or None if there is no such job."""

    def origin(self, job_id: str) -> JobOrigin | None:
        """Who asked for a job, on which cluster, to do what; None if there is no such job."""

    def recent(self, cluster: str, *, limit: int = 10) -> Sequence[JobSummary]:
        """The latest jobs of ``cluster``, newest first."""


class ApprovalPort(Protocol):
    """Approval requests, with one decision each however many people answer at once."""

    def now(self) -> float:
        """The store's clock."""

    def create(self, request: ApprovalRequest) -> ApprovalRequest:
        """Store a new request; an existing one with the same id is returned unchanged."""

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """A request by id."""

    def pending_in_thread(self, *, channel: str, thread_ts: str) -> list[ApprovalRequest]:
        """Pending requests of a thread, newest first."""

    def approve(
        self, approval_id: str, *, policy: Policy, user: str, user_groups: frozenset[str] = frozenset()
    ) -> Answer | None:
        """Record an approval."""

    def deny(
        self,
        approval_id: str,
        *,
        policy: Policy,
        user: str,
        user_groups: frozenset[str] = frozenset(),
        reason: str | None = None,
    ) -> Answer | None:
        """Record a refusal."""

    def cancel(self, approval_id: str, *, user: str) -> Answer | None:
        """Withdraw a request (its requester only)."""

    def plan_reported(self, approval_id: str, event: JobEvent) -> Answer | None:
        """The last word of a request's plan job: open the request (planned) or refuse it (failed)."""

    def pending(self) -> list[ApprovalRequest]:
        """Every pending request, the soonest to expire first."""

    def recheck_reported(self, approval_id: str, event: JobEvent) -> Answer | None:
        """Void a pending request whose re-check (its last word ``event``) found the plan moved; None if unknown."""

    def void_for(self, approval_id: str, *, changed: Collection[str], by_job: str) -> Answer | None:
        """Void a pending request whose plan read one of ``changed`` (the job ``by_job`` changed them)."""

    def expire_due(self) -> list[Answer]:
        """Expire every pending request past its deadline."""


class TimelinePort(Protocol):
    """The incident timeline."""

    def append(self, entry: Entry) -> Appended:
        """Record an entry once (by its event id)."""

    def open_incident(
        self, *, channel: str, title: str, actor: str, at: float | None = None
    ) -> tuple[Incident, bool]:
        """Start an incident in a channel; False when one was already open."""

    def close_incident(self, *, channel: str, actor: str, at: float | None = None) -> Incident | None:
        """End the channel's open incident."""

    def scope(self, *, channel: str, incident_id: str | None = None) -> Scope | None:
        """The timeline that ``timeline [INCIDENT]`` means in a channel."""

    def page(self, stream: str, *, count: int = 20, before: str | None = None) -> Page:
        """The latest entries of a timeline."""

    def export(self, scope: Scope) -> TimelineExport:
        """A whole timeline with its hash chain verified."""


class Observer(Protocol):
    """Where the engine reports what it decided, for metrics (the engine itself stays pure)."""

    def command(self, *, verb: str, outcome: str, cluster: str) -> None:
        """One command handled: its verb, what became of it (``queued``, ``denied``…) and its cluster."""

    def approval_decided(self, *, outcome: str, seconds: float) -> None:
        """An approval request decided (approved, denied, cancelled, expired), ``seconds`` after it was asked."""


class NoObserver:
    """The observer of an engine nobody watches: every report is dropped."""

    def command(self, *, verb: str, outcome: str, cluster: str) -> None:
        """Drop the report."""

    def approval_decided(self, *, outcome: str, seconds: float) -> None:
        """Drop the report."""


class FreezePort(Protocol):
    """The freezes of clusters."""

    def get(self, cluster: str) -> Freeze | None:
        """The freeze holding ``cluster`` now, if any."""

    def put(self, freeze: Freeze) -> bool:
        """Freeze a cluster unless it is frozen already (False then)."""

    def clear(self, cluster: str) -> Freeze | None:
        """Unfreeze ``cluster``; the freeze that held it, if any."""
