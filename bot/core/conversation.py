"""The conversation engine: one chat message in, the replies and the queued work out.

It is the same for every chat surface. An adapter (the console, Slack) turns what arrives into a
:class:`Message`, calls :meth:`Engine.handle`, and shows the :class:`Reply` values in the thread of
the request. The engine parses, checks the policy, opens approval requests for risky commands,
records everything on the timeline, and hands allowed work to the ports it is given (RQ and Redis
in production, the same on fakeredis in the console). It never talks to Slack, Redis or Kubernetes.
What it decides (each command's outcome, each approval's decision) goes to an
:class:`~bot.core.ports.Observer` for metrics and to the ``chatops.engine`` log with its ids.

A command that needs approval goes through three steps: the real job is parked and its plan runs
at once as a dry-run job; only a plan that succeeds opens the approval request
(:meth:`Engine.plans_reported`, :mod:`bot.core.plan_gate`), and a plan that fails answers the
requester and asks nobody. The answer that decides the request releases the parked job (approved)
or discards it (denied, expired, cancelled); the job then checks that the cluster still matches the
approved plan before acting.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.core import rechecks, request_events
from bot.core.approvals import (
    Answer,
    ApprovalRequest,
    ApprovalState,
    approval_id_for,
)
from bot.core.deferral import Gated, Typed, deferred, gate, parse_request, planning_note
from bot.core.freezing import known_clusters, parse_freeze, run_freeze
from bot.core.page_links import PageLinks
from bot.core.pages import PAGE_SIZE, PageCursor, PageKind, ReadingPage, jobs_page, timeline_page
from bot.core.plan_gate import planning_request
from bot.core.policy import (
    Decision,
    Policy,
    allowed_commands,
    channel_cluster,
    decide,
    gating_requirement,
    may_cancel,
)
from bot.core.ports import ApprovalPort, FreezePort, JobPort, NoObserver, Observer, TimelinePort
from bot.core.timeline import (
    Entry,
    EntryKind,
    Scope,
    approval_answer_entry,
    export_json,
    export_markdown,
    render_page,
)
from shared import commands
from shared.command_words import arguments_of, describe
from shared.errors import UsageError
from shared.identities import RunAs
from shared.invocation import invocation_of
from shared.jobevents import JobEvent, RequestContext
from shared.jobs import JobOrigin, JobSpec, job_id_for, job_spec, plan_job_id
from shared.messages import access as access_messages
from shared.messages import approvals as approval_messages
from shared.messages import conversation as messages
from shared.messages import freezes as freeze_messages
from shared.messages import jobs as job_messages
from shared.messages import pages as page_messages
from shared.messages import timeline as timeline_messages
from shared.messages import windows as window_messages
from shared.reference import HelpSheet, help_sheet
from shared.schedules import SCHEDULE_ARGUMENT, Schedule
from shared.text import escape_for_chat
from shared.undo import undo_offer
from shared.vocabulary import COMMAND_NAMES, READ_ONLY_COMMANDS

log = logging.getLogger("chatops.engine")


@dataclasses.dataclass(frozen=True)
class Message:
    """A chat message as the engine needs it, whatever the surface."""

    user: str
    channel: str
    ts: str
    """The message's own id (Slack's ``ts``); job ids are derived from it and the channel."""
    text: str
    thread_ts: str | None = None
    """Set when the message is a reply in a thread."""
    user_groups: frozenset[str] = frozenset()
    """Slack user groups (``S…``) the user belongs to, resolved by the adapter."""
    approval_id: str | None = None
    """Set on an Approve/Deny click: the request whose buttons were clicked, which alone it answers."""
    command: commands.Command | None = None
    """A command given as data (an Undo click): it runs as it is, and ``text`` only says it in words
    for the record; None for typed text, which the grammar reads."""


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A document that goes with a reply (a timeline export): a file name and its text."""

    filename: str
    content: str


@dataclasses.dataclass(frozen=True)
class Reply:
    """Something the bot says, in the thread of the request."""

    text: str
    thread_ts: str
    ephemeral: bool = False
    """Only for the person who asked (usage errors, refusals)."""
    job_id: str | None = None
    """The job this reply is about, when there is one."""
    channel: str | None = None
    """Where it goes when not in the channel of the message being answered (expiry notices)."""
    approval: ApprovalRequest | None = None
    """Set on the message that asks for (or reports the decision of) an approval, for buttons."""
    file: Attachment | None = None
    view: ReadingPage | HelpSheet | None = None
    """The same answer as structured data (a page of ``timeline``/``jobs``, the ``help`` sheet), for
    surfaces that draw it; ``text`` stays the plain form (the console's, and Slack's fallback)."""
    quiet: bool = False
    """Not shown: the job of a lookup, whose answer is the only message the person sees (``text``
    stays for the record)."""
    starts_at: float | None = None
    """Set when the job waits for a later start (RQ's scheduler): nothing more is heard of it until then."""


ANSWERED_BY_THE_ENGINE: frozenset[str] = frozenset(
    {"help", "jobs", "cancel", "incident open", "incident close", "note", "timeline", "approve", "deny"}
)
"""Commands the engine answers itself, from Redis, without a job on a worker."""

IMPLEMENTED: frozenset[str] = frozenset(COMMAND_NAMES) - ANSWERED_BY_THE_ENGINE
"""Commands carried out by a job in ``workers.jobs`` (all the others, today).

An engine built with fewer answers the rest with "not available yet"; ``tests/test_job_registry.py``
keeps this in step with the job functions that exist."""


LOOKUPS: frozenset[str] = READ_ONLY_COMMANDS - ANSWERED_BY_THE_ENGINE
"""Read-only commands a worker answers (``nodes``, ``status``, ``backup list``, ``upgrade plan``…): the
person sees one message, the answer, with no queued, started or succeeded lines around it."""


class Engine:
    """Turns messages into replies and jobs, under one policy."""

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: JobPort,
        approvals: ApprovalPort,
        timeline: TimelinePort,
        default_cluster: str,
        implemented: frozenset[str] = IMPLEMENTED,
        observer: Observer | None = None,
        links: PageLinks | None = None,
        gate: Callable[[Message], list[Reply] | None] | None = None,
        freezes: FreezePort | None = None,
    ) -> None:
        """``gate`` sees each message first and may refuse it (the limits of ``bot.core.limits``)."""
        self.policy = policy
        self._gate = gate
        self._freezes = freezes
        self._links = links
        self._observer: Observer = observer or NoObserver()
        self._jobs = jobs
        self._approvals = approvals
        self._timeline = timeline
        self._default_cluster = default_cluster
        self._implemented = implemented
        self._recheck_round: int | None = None

    def handle(self, message: Message) -> list[Reply]:
        """Answer one message. Never raises for bad input: every problem becomes a reply."""
        refused = self._gate(message) if self._gate is not None else None
        if refused is not None:
            return refused
        thread = message.thread_ts or message.ts
        frozen = self._freeze_command(message, thread=thread)
        if frozen is not None:
            return [frozen]
        try:
            if message.command is not None:  # given as data (an Undo click): nothing to read
                typed = Typed(message.command, None, False, message.text)
            else:
                typed = parse_request(message.text)
        except UsageError as error:
            self._record(
                message, kind=EntryKind.ERROR, summary=messages.unparsed(message.text), suffix="error"
            )
            self._observe_command(message, verb="unparsed", outcome="invalid", cluster=self._default_cluster)
            return [Reply(str(error), thread, ephemeral=True)]
        command, start = typed.command, typed.start
        message = dataclasses.replace(message, text=typed.text)  # without --at/--in: the command as it runs
        if start is not None and (
            command.name in READ_ONLY_COMMANDS or command.name in ANSWERED_BY_THE_ENGINE
        ):
            return [
                Reply(window_messages.start_for_changes_only(command=command.name), thread, ephemeral=True)
            ]
        cluster = self._cluster_for(channel=message.channel, named=command.cluster)
        origin = self._jobs.origin(command.job) if isinstance(command, commands.Cancel) else None
        if origin is not None and origin.cluster:
            cluster = origin.cluster  # a job is cancelled under the rules of the cluster it acts on
        if isinstance(command, commands.Help):
            self._observe_command(message, verb=command.name, outcome="answered", cluster=cluster)
            return [self._help(message, cluster=cluster, topic=command.topic, thread=thread)]
        namespace = command.namespace
        if isinstance(command, commands.DeploymentCommand) and namespace is None:
            namespace = self.policy.default_namespace
            command = dataclasses.replace(command, namespace=namespace)
        decision = decide(
            self.policy,
            user=message.user,
            user_groups=message.user_groups,
            command=command.name,
            channel=message.channel,
            namespace=namespace,
            cluster=cluster,
        )
        if origin is not None and decision.allowed:
            decision = self._cancel_decision(message, origin, decision=decision)
        if not decision.allowed:
            self._record_command(message, command, cluster=cluster, decision=decision)
            self._observe_command(message, verb=command.name, outcome="denied", cluster=cluster)
            return [Reply(decision.reason, thread, ephemeral=True)]
        if command.name in ANSWERED_BY_THE_ENGINE:
            self._observe_command(message, verb=command.name, outcome="answered", cluster=cluster)
        if isinstance(command, commands.Approve | commands.Deny):
            return self._answer(message, command)
        if isinstance(command, commands.Timeline):
            return self._show_timeline(message, command, thread=thread)
        runs_a_job = command.name in self._implemented and command.name not in ANSWERED_BY_THE_ENGINE
        self._record_command(message, command, cluster=cluster, decision=decision, runs_a_job=runs_a_job)
        if isinstance(command, commands.Jobs):
            cursor = PageCursor(kind=PageKind.JOBS, cluster=command.cluster)
            return [self._read_jobs(cursor, cluster=cluster, thread=thread)]
        if isinstance(command, commands.Cancel):
            return [self._cancel(message, command.job, thread=thread)]
        if isinstance(command, commands.IncidentOpen | commands.IncidentClose | commands.Note):
            return [self._incident_command(message, command, thread=thread)]
        if command.name not in self._implemented:
            self._observe_command(message, verb=command.name, outcome="unavailable", cluster=cluster)
            return [Reply(job_messages.not_available_yet(command=command.name), thread)]
        if (
            self.policy.identities.mode(cluster) is RunAs.REQUESTER
            and message.user not in self.policy.identities.people
        ):
            self._observe_command(message, verb=command.name, outcome="denied", cluster=cluster)
            return [
                Reply(access_messages.unmapped(user=message.user, cluster=cluster), thread, ephemeral=True)
            ]
        freeze = self._freezes.get(cluster) if self._freezes is not None else None
        try:
            gated = gate(
                self.policy,
                typed,
                decision=decision,
                freeze=freeze,
                cluster=cluster,
                now=self._approvals.now(),
            )
        except UsageError as error:
            return [Reply(str(error), thread, ephemeral=True)]
        if isinstance(gated, str):
            self._observe_command(message, verb=command.name, outcome="frozen", cluster=cluster)
            return [Reply(gated, thread, ephemeral=True)]
        if gated.broken is not None:
            summary = freeze_messages.break_glass_summary(
                description=describe(command), reason=gated.broken.reason
            )
            details = {"break_glass": True, "freeze": gated.broken.reason}
            self._record(
                message, kind=EntryKind.COMMAND, summary=summary, suffix="break-glass", details=details
            )
        if gated.decision.approval is not None and not command.dry_run:
            return self._request_approval(message, command, cluster=cluster, thread=thread, gated=gated)
        return [
            self._submit(command, message=message, cluster=cluster, thread=thread, schedule=gated.schedule)
        ]

    def read(self, cursor: PageCursor, *, user: str, user_groups: frozenset[str], channel: str) -> Reply:
        """Another page of ``timeline`` or ``jobs``, as if the command were typed again in ``channel``.

        The policy decides for ``user`` exactly as for the typed command: a refusal is an ephemeral
        reply. Reading is not recorded on the timeline.
        """
        cluster = self._cluster_for(channel=channel, named=cursor.cluster)
        decision = decide(
            self.policy,
            user=user,
            user_groups=user_groups,
            command=cursor.kind.value,
            channel=channel,
            namespace=None,
            cluster=cluster,
        )
        if not decision.allowed:
            return Reply(decision.reason, "", ephemeral=True)
        if cursor.kind is PageKind.JOBS:
            return self._read_jobs(cursor, cluster=cluster, thread="")
        return self._read_timeline(cursor, channel=channel, thread="")

    def _cluster_for(self, *, channel: str, named: str | None) -> str:
        """Where a command goes: its ``--cluster``, else its channel's cluster, else the bot's own."""
        return named or channel_cluster(self.policy, channel=channel) or self._default_cluster

    def approval(self, approval_id: str) -> ApprovalRequest | None:
        """The stored approval request ``approval_id`` (to find where it is answered), if it exists."""
        return self._approvals.get(approval_id)

    def expire_due(self) -> list[Reply]:
        """Expire approval requests past their deadline: their jobs never run, their threads are told."""
        replies = []
        for answer in self._approvals.expire_due():
            request = answer.request
            self._jobs.discard(request.job_id)
            self._append(approval_answer_entry(answer, actor="chatops", at=self._approvals.now()))
            self._observe_decision(request)
            replies.append(Reply(answer.reply, request.thread_ts, channel=request.channel, approval=request))
        return replies

    def recheck_pending(self, *, interval: float = rechecks.RECHECK_INTERVAL_SECONDS) -> list[str]:
        """Run the plan of every pending request again, once per ``interval`` (:mod:`bot.core.rechecks`);
        returns the ids of the re-checks this call queued (a round already queued, here or by another
        bot process, is not queued again)."""
        round_ = rechecks.recheck_round(self._approvals.now(), interval=interval)
        if round_ == self._recheck_round:
            return []
        self._recheck_round = round_
        queued = []
        for request in rechecks.due(self._approvals.pending(), now=self._approvals.now(), interval=interval):
            parked = self._jobs.parked(request.job_id)
            if parked is None:
                continue
            submitted = self._jobs.submit(rechecks.recheck_spec(parked, round_=round_))
            if not submitted.duplicate:
                queued.append(submitted.job_id)
        return queued

    def may_pin(self, *, user: str, user_groups: frozenset[str] = frozenset(), channel: str) -> bool:
        """Whether a :pushpin: by ``user`` in ``channel`` makes a note: the ``note`` rule, as if typed there.

        In a channel the policy does not accept commands in, no one may (the reaction is ignored).
        """
        decision = decide(
            self.policy,
            user=user,
            user_groups=user_groups,
            command="note",
            channel=channel,
            namespace=None,
            cluster=self._cluster_for(channel=channel, named=None),
        )
        return decision.allowed

    def pin(
        self,
        *,
        user: str,
        channel: str,
        message_ts: str,
        text: str,
        user_groups: frozenset[str] = frozenset(),
    ) -> bool:
        """Put a chat message on the timeline as a note, at the time it was written (a :pushpin:).

        Only when :meth:`may_pin` allows it; False (and nothing recorded) otherwise.
        """
        if not self.may_pin(user=user, user_groups=user_groups, channel=channel):
            return False
        message = Message(user=user, channel=channel, ts=message_ts, text=text)
        self._record(
            message,
            kind=EntryKind.NOTE,
            summary=escape_for_chat(text),
            suffix="pinned",
            at=message_time(message),
            details={"pinned_by": user},
        )
        return True

    # Jobs

    def _request_context(
        self, message: Message, command: commands.Command, *, cluster: str, thread: str, lookup: bool = False
    ) -> RequestContext:
        """Who asked, where, and what, as data: the command and the undo it will offer (worked out now)."""
        undo = undo_offer(command)
        return RequestContext(
            job_id=job_id_for(channel=message.channel, message_ts=message.ts),
            user=message.user,
            channel=message.channel,
            thread_ts=thread,
            cluster=cluster,
            command=invocation_of(command).to_json(),
            undo=undo.to_json() if undo is not None else None,
            lookup=lookup,
        )

    def _spec(
        self, command: commands.Command, request: RequestContext, *, schedule: Schedule | None = None
    ) -> JobSpec:
        spec = job_spec(
            command_name=command.name,
            arguments=arguments_of(command),
            request=request,
            description=describe(command),
        )
        if schedule is not None:
            spec = dataclasses.replace(spec, kwargs={**spec.kwargs, SCHEDULE_ARGUMENT: schedule.to_json()})
        # Checked before anything is queued (an unmapped requester is refused), so this never raises.
        identity = self.policy.identities.acting_as(user=request.user, cluster=request.cluster)
        if identity is None:
            return spec
        return dataclasses.replace(spec, kwargs={**spec.kwargs, "act_as": identity.to_json()})

    def _submit(
        self,
        command: commands.Command,
        *,
        message: Message,
        cluster: str,
        thread: str,
        schedule: Schedule | None = None,
    ) -> Reply:
        lookup = command.name in LOOKUPS
        request = self._request_context(message, command, cluster=cluster, thread=thread, lookup=lookup)
        spec = self._spec(command, request, schedule=schedule)
        submission = self._jobs.submit(spec)
        outcome = "duplicate" if submission.duplicate else "queued"
        self._observe_command(
            message, verb=command.name, outcome=outcome, cluster=cluster, job_id=spec.job_id
        )
        if submission.duplicate:
            return Reply(job_messages.duplicate(job_id=spec.job_id), thread, job_id=spec.job_id, quiet=lookup)
        if submission.schedule is not None:
            return self._deferred(
                spec.job_id,
                spec.description,
                cluster,
                submission.schedule,
                thread=thread,
                channel=message.channel,
            )
        text = job_messages.queued(
            job_id=spec.job_id, description=spec.description, cluster=cluster, position=submission.position
        )
        if command.dry_run:
            text = job_messages.dry_run_only(description=spec.description) + "\n" + text
        return Reply(text, thread, job_id=spec.job_id, quiet=lookup)

    def _cancel_decision(self, message: Message, origin: JobOrigin, *, decision: Decision) -> Decision:
        """``decision`` when the author may stop the job (its requester, or an approver of its rule)."""
        if may_cancel(
            self.policy,
            user=message.user,
            user_groups=message.user_groups,
            requester=origin.requester,
            command=origin.command,
            namespace=origin.namespace,
            cluster=origin.cluster,
        ):
            return decision
        gate = None
        if origin.command is not None:
            gate = gating_requirement(
                self.policy, command=origin.command, namespace=origin.namespace, cluster=origin.cluster
            )
        reason = messages.cancel_not_allowed(
            job_id=origin.job_id, requester=origin.requester, approvers=gate.approvers if gate else ()
        )
        return Decision(allowed=False, rule=None, reason=reason)

    def _cancel(self, message: Message, job_id: str, *, thread: str) -> Reply:
        approval = self._approvals.get(approval_id_for(job_id=job_id))
        if approval is not None and approval.state.is_live:
            answer = self._approvals.cancel(approval.approval_id, user=message.user)
            if answer is not None:
                if answer.decided and approval.state is ApprovalState.PLANNING:
                    self._jobs.cancel(plan_job_id(job_id))  # its plan is no longer wanted
                self._settle(answer, message=message)
                return Reply(
                    answer.reply, thread, ephemeral=answer.outcome.is_refusal, approval=answer.request
                )
        before = self._jobs.cancel(job_id)
        if before is None:
            return Reply(messages.no_such_job(job_id=job_id), thread, ephemeral=True)
        return Reply(messages.cancel_result(job_id=job_id, status=before), thread)

    # Approvals

    def _deferred(
        self, job_id: str, description: str, cluster: str, schedule: Schedule, *, channel: str, thread: str
    ) -> Reply:
        """The reply of a job handed to RQ's scheduler (it starts at ``schedule.start_at``); recorded."""
        said = deferred(
            job_id=job_id,
            description=description,
            cluster=cluster,
            schedule=schedule,
            channel=channel,
            thread=thread,
            now=self._approvals.now(),
        )
        self._append(said.entry)
        return Reply(said.reply, thread, job_id=job_id, starts_at=schedule.start_at)

    def _freeze_command(self, message: Message, *, thread: str) -> Reply | None:
        """``freeze``/``unfreeze`` (:mod:`bot.core.freezing`); None for every other command."""
        clusters = known_clusters(self.policy, default=self._default_cluster)
        try:
            parsed = parse_freeze(message.text, clusters=clusters)
        except UsageError as error:
            return Reply(str(error), thread, ephemeral=True)
        if parsed is None:
            return None
        cluster = self._cluster_for(channel=message.channel, named=parsed.cluster)
        if self._freezes is None:
            return Reply(job_messages.not_available_yet(command="freeze"), thread, ephemeral=True)
        outcome = run_freeze(
            parsed,
            policy=self.policy,
            freezes=self._freezes,
            user=message.user,
            user_groups=message.user_groups,
            cluster=cluster,
            now=self._approvals.now(),
        )
        if outcome.summary is not None:
            self._record(
                message, kind=EntryKind.COMMAND, summary=outcome.summary, suffix="freeze", cluster=cluster
            )
        return Reply(outcome.reply, thread, ephemeral=outcome.ephemeral)

    def _request_approval(
        self,
        message: Message,
        command: commands.Command,
        *,
        cluster: str,
        thread: str,
        gated: Gated,
    ) -> list[Reply]:
        """Park the job and run its plan; approvers are asked only once it succeeds (:mod:`bot.core.plan_gate`)."""
        requirement = gated.decision.approval
        assert requirement is not None
        request = self._request_context(message, command, cluster=cluster, thread=thread)
        plan_id = plan_job_id(request.job_id)
        approval = planning_request(
            job_id=request.job_id,
            requester=message.user,
            channel=message.channel,
            thread_ts=thread,
            cluster=cluster,
            description=describe(command),
            requirement=requirement,
            now=self._approvals.now(),
            command=invocation_of(command),
        )
        approval = dataclasses.replace(approval, incident=gated.incident)
        stored = self._approvals.create(approval)
        outcome = "duplicate" if stored != approval else "approval_requested"
        self._observe_command(
            message,
            verb=command.name,
            outcome=outcome,
            cluster=cluster,
            job_id=request.job_id,
            approval_id=stored.approval_id,
        )
        if stored != approval:
            return [Reply(job_messages.duplicate(job_id=request.job_id), thread, job_id=request.job_id)]
        real = self._spec(command, request, schedule=gated.schedule)
        real = dataclasses.replace(
            real, kwargs={**real.kwargs, "approval": {"approval_id": stored.approval_id, "plan_job": plan_id}}
        )
        self._jobs.park(real)
        plan_command = dataclasses.replace(command, dry_run=True)
        plan_request = dataclasses.replace(
            request, job_id=plan_id, command=invocation_of(plan_command).to_json(), undo=None
        )
        plan = self._spec(plan_command, plan_request)
        self._jobs.submit(plan)
        text = approval_messages.planning_first(
            description=stored.description, cluster=cluster, approvers=stored.approvers
        )
        note = planning_note(gated.schedule, now=self._approvals.now())
        if gated.incident:
            glass = freeze_messages.break_glass_needs_incident(incident=gated.incident)
            note = glass if note is None else f"{glass}\n{note}"
        return [Reply(text if note is None else f"{text}\n{note}", thread, job_id=plan_id)]

    def plans_reported(self, events: Iterable[JobEvent]) -> list[Reply]:
        """What ``events`` did to approval requests, said in their threads (:mod:`bot.core.request_events`).

        A plan that succeeded asks its approvers, one that did not refuses its request; a job that
        changed what a pending plan read voids that request. Each is said once, however often read.
        """
        answers = request_events.follow(
            events,
            approvals=self._approvals,
            jobs=self._jobs,
            timeline=self._timeline,
            default_namespace=self.policy.default_namespace,
            decided=self._observe_decision,
        )
        return [
            Reply(
                answer.reply,
                answer.request.thread_ts,
                channel=answer.request.channel,
                approval=answer.request,
            )
            for answer in answers
        ]

    def _answer(self, message: Message, command: commands.Approve | commands.Deny) -> list[Reply]:
        thread = message.thread_ts or message.ts
        if message.thread_ts is None:
            return [Reply(approval_messages.answer_in_thread(), thread, ephemeral=True)]
        named = message.approval_id or command.approval_id
        if named is not None:
            request = self._approvals.get(named)
            if request is None or (request.channel, request.thread_ts) != (
                message.channel,
                message.thread_ts,
            ):
                return [Reply(approval_messages.no_such_request(approval_id=named), thread, ephemeral=True)]
            approval_id = named
        else:
            pending = self._approvals.pending_in_thread(channel=message.channel, thread_ts=message.thread_ts)
            if not pending:
                return [Reply(approval_messages.no_pending_request(), thread, ephemeral=True)]
            if len(pending) > 1:
                ids = sorted(request.approval_id for request in pending)
                return [Reply(approval_messages.name_the_request(approval_ids=ids), thread, ephemeral=True)]
            approval_id = pending[0].approval_id
        if isinstance(command, commands.Approve):
            answer = self._approvals.approve(
                approval_id, policy=self.policy, user=message.user, user_groups=message.user_groups
            )
        else:
            answer = self._approvals.deny(
                approval_id,
                policy=self.policy,
                user=message.user,
                user_groups=message.user_groups,
                reason=command.reason,
            )
        if answer is None:
            return [Reply(approval_messages.no_such_request(approval_id=approval_id), thread, ephemeral=True)]
        replies = [Reply(answer.reply, thread, ephemeral=answer.outcome.is_refusal, approval=answer.request)]
        released = self._settle(answer, message=message)
        if released is not None:
            replies.append(released)
        return replies

    def _settle(self, answer: Answer, *, message: Message) -> Reply | None:
        """Record an answer; when it decided the request, release or discard the parked job."""
        self._append(
            approval_answer_entry(
                answer,
                actor=message.user,
                at=self._approvals.now(),
                event_id=f"{message.channel}-{message.ts}",
            )
        )
        if not answer.decided:
            return None
        request = answer.request
        self._observe_decision(request)
        if request.state is not ApprovalState.APPROVED:
            self._jobs.discard(request.job_id)
            return None
        submission = self._jobs.release(request.job_id)
        if submission is None:
            return Reply(approval_messages.job_gone(job_id=request.job_id), request.thread_ts)
        if submission.schedule is not None:
            schedule, channel, thread = submission.schedule, request.channel, request.thread_ts
            return self._deferred(
                request.job_id, request.description, request.cluster, schedule, channel=channel, thread=thread
            )
        text = job_messages.queued(
            job_id=request.job_id,
            description=request.description,
            cluster=request.cluster,
            position=submission.position,
        )
        return Reply(text, request.thread_ts, job_id=request.job_id)

    # Metrics and logs

    def _observe_command(
        self,
        message: Message,
        *,
        verb: str,
        outcome: str,
        cluster: str,
        job_id: str | None = None,
        approval_id: str | None = None,
    ) -> None:
        """Count a handled command and log what became of it, with the ids to follow it by."""
        self._observer.command(verb=verb, outcome=outcome, cluster=cluster)
        ids = {"user": message.user, "cluster": cluster, "job_id": job_id, "approval_id": approval_id}
        log.info("command %s: %s", verb, outcome, extra=ids)

    def _observe_decision(self, request: ApprovalRequest) -> None:
        """Count a decided approval request with the time it waited, and log the decision."""
        decided_at = request.decided_at if request.decided_at is not None else self._approvals.now()
        seconds = max(0.0, decided_at - request.created_at)
        self._observer.approval_decided(outcome=request.state.value, seconds=seconds)
        ids = {
            "approval_id": request.approval_id,
            "job_id": request.job_id,
            "cluster": request.cluster,
            "user": request.decided_by or request.requester,
        }
        log.info("approval %s %s after %.1fs", request.approval_id, request.state.value, seconds, extra=ids)

    # Timeline and incidents

    def _record_command(
        self,
        message: Message,
        command: commands.Command,
        *,
        cluster: str,
        decision: Decision,
        runs_a_job: bool = False,
    ) -> None:
        details: dict[str, Any] = {"text": message.text, "allowed": decision.allowed}
        if decision.rule is not None:
            details["rule"] = decision.rule
        if decision.approval is not None:
            details["approval"] = {
                "approvers": list(decision.approval.approvers),
                "count": decision.approval.count,
            }
        self._record(
            message,
            kind=EntryKind.COMMAND,
            summary=describe(command) if decision.allowed else messages.denied_summary(describe(command)),
            suffix="command",
            cluster=cluster,
            target=command.target,
            job_id=job_id_for(channel=message.channel, message_ts=message.ts) if runs_a_job else "",
            details=details,
        )

    def _append(self, entry: Entry | None) -> None:
        if entry is not None:
            self._timeline.append(entry)

    def _record(
        self,
        message: Message,
        *,
        kind: EntryKind,
        summary: str,
        suffix: str,
        at: float | None = None,
        **fields: Any,
    ) -> None:
        self._timeline.append(
            Entry(
                at=self._approvals.now() if at is None else at,
                actor=message.user,
                kind=kind,
                summary=summary,
                channel=message.channel,
                thread_ts=message.thread_ts or message.ts,
                event_id=f"{message.channel}-{message.ts}-{suffix}",
                **fields,
            )
        )

    def _incident_command(
        self,
        message: Message,
        command: commands.IncidentOpen | commands.IncidentClose | commands.Note,
        *,
        thread: str,
    ) -> Reply:
        if isinstance(command, commands.IncidentOpen):
            incident, created = self._timeline.open_incident(
                channel=message.channel, title=command.title, actor=message.user
            )
            if not created:
                return Reply(
                    timeline_messages.incident_already_open(
                        incident_id=incident.incident_id, title=incident.title
                    ),
                    thread,
                    ephemeral=True,
                )
            log.info(
                "incident %s opened",
                incident.incident_id,
                extra={"incident_id": incident.incident_id, "user": message.user},
            )
            return Reply(
                timeline_messages.incident_opened(incident_id=incident.incident_id, title=incident.title),
                thread,
            )
        if isinstance(command, commands.IncidentClose):
            closed = self._timeline.close_incident(channel=message.channel, actor=message.user)
            if closed is None:
                return Reply(timeline_messages.no_open_incident(), thread, ephemeral=True)
            lasted = (closed.closed_at or closed.opened_at) - closed.opened_at
            log.info(
                "incident %s closed",
                closed.incident_id,
                extra={"incident_id": closed.incident_id, "user": message.user},
            )
            return Reply(
                timeline_messages.incident_closed(
                    incident_id=closed.incident_id, title=closed.title, lasted=lasted
                ),
                thread,
            )
        self._record(
            message, kind=EntryKind.NOTE, summary=command.text, suffix="note", at=message_time(message)
        )
        scope = self._timeline.scope(channel=message.channel)
        incident_id = scope.incident.incident_id if scope is not None and scope.incident is not None else None
        return Reply(timeline_messages.note_added(incident_id=incident_id), thread)

    def _show_timeline(self, message: Message, command: commands.Timeline, *, thread: str) -> list[Reply]:
        if command.link or command.revoke_links:
            return [self._page_link(message, command, thread=thread)]
        if command.export is None:
            cursor = PageCursor(kind=PageKind.TIMELINE, incident=command.incident)
            return [self._read_timeline(cursor, channel=message.channel, thread=thread)]
        scope = self._timeline_scope(channel=message.channel, incident_id=command.incident, thread=thread)
        if isinstance(scope, Reply):
            return [scope]
        export = self._timeline.export(scope)
        fmt = command.export.value
        content = export_markdown(export) if fmt == "md" else export_json(export)
        name = (scope.incident.incident_id if scope.incident else f"timeline-{message.channel}") + f".{fmt}"
        text = timeline_messages.export_ready(
            scope=scope.label, count=len(export.entries), verified=export.report.ok, fmt=fmt
        )
        return [Reply(text, thread, file=Attachment(filename=name, content=content))]

    def _page_link(self, message: Message, command: commands.Timeline, *, thread: str) -> Reply:
        """``timeline --link`` and ``--revoke-links``: answered to the asker alone (a link is a key)."""
        if self._links is None:
            return Reply(timeline_messages.page_links_off(), thread, ephemeral=True)
        scope = self._timeline_scope(channel=message.channel, incident_id=command.incident, thread=thread)
        if isinstance(scope, Reply):
            return scope
        if scope.incident is None:
            return Reply(timeline_messages.page_links_need_incident(), thread, ephemeral=True)
        incident_id = scope.incident.incident_id
        if command.revoke_links:
            self._links.generations.revoke(incident_id)
            log.info("page links of %s revoked by %s", incident_id, message.user)
            return Reply(
                timeline_messages.page_links_revoked(incident_id=incident_id), thread, ephemeral=True
            )
        url, expires_at = self._links.url(incident_id, now=self._approvals.now())
        log.info("page link of %s given to %s", incident_id, message.user)
        text = timeline_messages.page_link(incident_id=incident_id, url=url, expires_at=expires_at)
        return Reply(text, thread, ephemeral=True)

    def _timeline_scope(self, *, channel: str, incident_id: str | None, thread: str) -> Scope | Reply:
        """The timeline ``timeline [INCIDENT]`` means in ``channel``, or the ephemeral reply refusing it.

        An incident's timeline belongs to the channel it was opened in: asked for anywhere else, it
        is refused without a word of what it holds.
        """
        scope = self._timeline.scope(channel=channel, incident_id=incident_id)
        if scope is None:
            text = timeline_messages.no_such_incident(incident_id=incident_id or "")
            return Reply(text, thread, ephemeral=True)
        if scope.incident is not None and scope.incident.channel != channel:
            log.info("timeline of %s refused in %s: not its channel", scope.incident.incident_id, channel)
            text = timeline_messages.incident_elsewhere(incident_id=scope.incident.incident_id)
            return Reply(text, thread, ephemeral=True)
        return scope

    def _read_timeline(self, cursor: PageCursor, *, channel: str, thread: str) -> Reply:
        scope = self._timeline_scope(channel=channel, incident_id=cursor.incident, thread=thread)
        if isinstance(scope, Reply):
            return scope
        read = self._timeline.page(scope.stream, count=cursor.offset + PAGE_SIZE)
        page = timeline_page(
            read.entries, scope=scope.label, cursor=cursor, has_older=read.older_before is not None
        )
        if cursor.offset == 0:
            text = render_page(read.entries, scope=scope.label, older_before=read.older_before)
        else:
            text = page_messages.page_fallback(title=page.title, number=page.number, shown=len(page.items))
        return Reply(text, thread, view=page)

    def _read_jobs(self, cursor: PageCursor, *, cluster: str, thread: str) -> Reply:
        jobs = self._jobs.recent(cluster, limit=cursor.offset + PAGE_SIZE + 1)
        page = jobs_page(jobs, cluster=cluster, cursor=cursor)
        if cursor.offset == 0:
            text = messages.jobs_list(jobs[:PAGE_SIZE], cluster=cluster)
        else:
            text = page_messages.page_fallback(title=page.title, number=page.number, shown=len(page.items))
        return Reply(text, thread, view=page)

    def _help(self, message: Message, *, cluster: str, topic: str | None, thread: str) -> Reply:
        allowed = allowed_commands(
            self.policy,
            user=message.user,
            user_groups=message.user_groups,
            channel=message.channel,
            cluster=cluster,
        )
        text = messages.help_text(allowed=allowed, topic=topic, cluster=cluster)
        return Reply(text, thread, view=help_sheet(allowed=allowed, topic=topic))


def message_time(message: Message) -> float | None:
    """When a chat message was written, from its Slack-style ``ts`` (``seconds.micro``), if it reads as one."""
    try:
        return float(message.ts)
    except ValueError:
        return None
