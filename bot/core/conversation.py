"""The conversation engine: one chat message in, the replies and the queued work out.

It is the same for every chat surface. An adapter (the console, Slack) turns what arrives into a
:class:`Message`, calls :meth:`Engine.handle`, and shows the :class:`Reply` values in the thread of
the request. The engine parses, checks the policy, opens approval requests for risky commands,
records everything on the timeline, and hands allowed work to the ports it is given (RQ and Redis
in production, the same on fakeredis in the console). It never talks to Slack, Redis or Kubernetes.
What it decides (each command's outcome, each approval's decision) goes to an
:class:`~bot.core.ports.Observer` for metrics and to the ``chatops.engine`` log with its ids.

A command that needs approval is parked while its plan runs, and only a plan that succeeds asks the
approvers (:mod:`bot.core.approval_flow`). :class:`Message` and :class:`Reply` are defined in
:mod:`bot.core.chat` and exported here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from bot.core import rechecks
from bot.core.approval_flow import ApprovalFlow
from bot.core.approvals import ApprovalRequest
from bot.core.chat import Attachment, Message, Reply, message_time
from bot.core.deferral import Typed, gate, parse_request
from bot.core.freeze_desk import FreezeDesk
from bot.core.job_requests import JobRequests
from bot.core.page_links import PageLinks
from bot.core.pages import PageCursor, PageKind
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
from bot.core.recording import Observations, Recorder
from bot.core.timeline import EntryKind, approval_answer_entry
from bot.core.timeline_desk import TimelineDesk
from shared import commands
from shared.command_words import describe
from shared.errors import UsageError
from shared.identities import RunAs
from shared.jobevents import JobEvent
from shared.jobs import JobOrigin
from shared.messages import access as access_messages
from shared.messages import conversation as messages
from shared.messages import freezes as freeze_messages
from shared.messages import jobs as job_messages
from shared.messages import windows as window_messages
from shared.reference import help_sheet
from shared.registry import REGISTRY
from shared.text import escape_for_chat

__all__ = ["IMPLEMENTED", "Attachment", "Engine", "Message", "Reply", "message_time"]


IMPLEMENTED: frozenset[str] = REGISTRY.run_by_workers
"""Commands carried out by a job in ``workers.jobs``: every command whose registry entry the engine
does not answer itself.

An engine built with fewer answers the rest with "not available yet"; ``tests/test_job_registry.py``
keeps this in step with the job functions that exist."""


class Engine:
    """Turns messages into replies and jobs, under one policy.

    It decides here (parse, policy, who may cancel) and hands each kind of answer to its part:
    :class:`~bot.core.job_requests.JobRequests` queues jobs, :class:`~bot.core.approval_flow.ApprovalFlow`
    runs approval requests, :class:`~bot.core.timeline_desk.TimelineDesk` answers from the timeline,
    and :mod:`bot.core.recording` writes the timeline entries, metrics and logs.
    """

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: JobPort,
        approvals: ApprovalPort,
        timeline: TimelinePort,
        default_cluster: str,
        implemented: frozenset[str] | None = None,
        observer: Observer | None = None,
        links: PageLinks | None = None,
        gate: Callable[[Message], list[Reply] | None] | None = None,
        freezes: FreezePort | None = None,
    ) -> None:
        """``gate`` sees each message first and may refuse it (the limits of ``bot.core.limits``).

        The commands are the policy's registry's; ``implemented`` (default: every one a job carries
        out) are those this engine hands to workers."""
        self.policy = policy
        self._gate = gate
        self._jobs = jobs
        self._approvals = approvals
        self._default_cluster = default_cluster
        self._registry = policy.registry
        self._implemented = self._registry.run_by_workers if implemented is None else implemented
        clock = approvals.now
        self._recorder = Recorder(timeline=timeline, clock=clock)
        self._observations = Observations(observer=observer or NoObserver(), clock=clock)
        self._requests = JobRequests(
            policy=policy, jobs=jobs, observations=self._observations, recorder=self._recorder, clock=clock
        )
        self._freezes = FreezeDesk(
            policy=policy,
            freezes=freezes,
            recorder=self._recorder,
            clock=clock,
            default_cluster=default_cluster,
            cluster_for=self._cluster_for,
        )
        self._flow = ApprovalFlow(
            policy=policy,
            approvals=approvals,
            jobs=jobs,
            timeline=timeline,
            requests=self._requests,
            recorder=self._recorder,
            observations=self._observations,
        )
        self._desk = TimelineDesk(
            timeline=timeline, jobs=jobs, recorder=self._recorder, links=links, clock=clock
        )

    def handle(self, message: Message) -> list[Reply]:
        """Answer one message. Never raises for bad input: every problem becomes a reply."""
        refused = self._gate(message) if self._gate is not None else None
        if refused is not None:
            return refused
        thread = message.thread_ts or message.ts
        try:
            if message.command is not None:  # given as data (an Undo click): nothing to read
                typed = Typed(message.command, None, False, message.text)
            else:
                typed = parse_request(message.text, registry=self._registry)
        except UsageError as error:
            self._recorder.record(
                message, kind=EntryKind.ERROR, summary=messages.unparsed(message.text), suffix="error"
            )
            self._observations.command(
                message, verb="unparsed", outcome="invalid", cluster=self._default_cluster
            )
            return [Reply(str(error), thread, ephemeral=True)]
        command, spec = typed.command, self._registry[typed.command.name]
        message = dataclasses.replace(message, text=typed.text)  # without --at/--in: the command as it runs
        if typed.start is not None and (spec.read_only or spec.answered_by_engine):
            text = window_messages.start_for_changes_only(command=command.name)
            return [Reply(text, thread, ephemeral=True)]
        cluster = self._cluster_for(channel=message.channel, named=command.cluster)
        origin = self._jobs.origin(command.job) if isinstance(command, commands.Cancel) else None
        if origin is not None and origin.cluster:
            cluster = origin.cluster  # a job is cancelled under the rules of the cluster it acts on
        if isinstance(command, commands.Help):
            self._observations.command(message, verb=command.name, outcome="answered", cluster=cluster)
            return [self._help(message, cluster=cluster, topic=command.topic, thread=thread)]
        if isinstance(command, commands.Freeze | commands.Unfreeze):  # who may is the policy's freezes.by
            self._observations.command(message, verb=command.name, outcome="answered", cluster=cluster)
            return [self._freezes.answer(message, command, thread=thread)]
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
            self._recorder.record_command(message, command, cluster=cluster, decision=decision)
            self._observations.command(message, verb=command.name, outcome="denied", cluster=cluster)
            return [Reply(decision.reason, thread, ephemeral=True)]
        answered_here = self._registry[command.name].answered_by_engine
        if answered_here:
            self._observations.command(message, verb=command.name, outcome="answered", cluster=cluster)
        if isinstance(command, commands.Approve | commands.Deny):
            return self._flow.answer(message, command)
        if isinstance(command, commands.Timeline):
            return self._desk.show_timeline(message, command, thread=thread)
        runs_a_job = command.name in self._implemented and not answered_here
        self._recorder.record_command(
            message, command, cluster=cluster, decision=decision, runs_a_job=runs_a_job
        )
        if isinstance(command, commands.Jobs):
            cursor = PageCursor(kind=PageKind.JOBS, cluster=command.cluster)
            return [self._desk.read_jobs(cursor, cluster=cluster, thread=thread)]
        if isinstance(command, commands.Cancel):
            return [self._flow.cancel(message, command.job, thread=thread)]
        if isinstance(command, commands.IncidentOpen | commands.IncidentClose | commands.Note):
            return [self._desk.incident_command(message, command, thread=thread)]
        if command.name not in self._implemented:
            self._observations.command(message, verb=command.name, outcome="unavailable", cluster=cluster)
            return [Reply(job_messages.not_available_yet(command=command.name), thread)]
        if (
            self.policy.identities.mode(cluster) is RunAs.REQUESTER
            and message.user not in self.policy.identities.people
        ):
            self._observations.command(message, verb=command.name, outcome="denied", cluster=cluster)
            return [
                Reply(access_messages.unmapped(user=message.user, cluster=cluster), thread, ephemeral=True)
            ]
        try:
            gated = gate(
                self.policy,
                typed,
                decision=decision,
                freeze=self._freezes.get(cluster),
                cluster=cluster,
                now=self._approvals.now(),
            )
        except UsageError as error:
            return [Reply(str(error), thread, ephemeral=True)]
        if isinstance(gated, str):
            self._observations.command(message, verb=command.name, outcome="frozen", cluster=cluster)
            return [Reply(gated, thread, ephemeral=True)]
        if gated.broken is not None:
            summary = freeze_messages.break_glass_summary(
                description=describe(command), reason=gated.broken.reason
            )
            details = {"break_glass": True, "freeze": gated.broken.reason}
            self._recorder.record(
                message, kind=EntryKind.COMMAND, summary=summary, suffix="break-glass", details=details
            )
        if gated.decision.approval is not None and not command.dry_run:
            return self._flow.request_approval(message, command, cluster=cluster, thread=thread, gated=gated)
        schedule = gated.schedule
        return [
            self._requests.submit(command, message=message, cluster=cluster, thread=thread, schedule=schedule)
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
            return self._desk.read_jobs(cursor, cluster=cluster, thread="")
        return self._desk.read_timeline(cursor, channel=channel, thread="")

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
            self._recorder.append(approval_answer_entry(answer, actor="chatops", at=self._approvals.now()))
            self._observations.decision(request)
            replies.append(Reply(answer.reply, request.thread_ts, channel=request.channel, approval=request))
        return replies

    def recheck_pending(self, *, interval: float = rechecks.RECHECK_INTERVAL_SECONDS) -> list[str]:
        """Run the plan of every pending request again, once per ``interval`` (:mod:`bot.core.rechecks`);
        returns the ids of the re-checks this call queued (a round already queued, here or by another
        bot process, is not queued again)."""
        return self._flow.recheck_pending(interval=interval)

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
        self._recorder.record(
            message,
            kind=EntryKind.NOTE,
            summary=escape_for_chat(text),
            suffix="pinned",
            at=message_time(message),
            details={"pinned_by": user},
        )
        return True

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

    def plans_reported(self, events: Iterable[JobEvent]) -> list[Reply]:
        """What ``events`` did to approval requests, said in their threads (:mod:`bot.core.request_events`).

        A plan that succeeded asks its approvers, one that did not refuses its request; a job that
        changed what a pending plan read voids that request. Each is said once, however often read.
        """
        return self._flow.plans_reported(events)

    def _help(self, message: Message, *, cluster: str, topic: str | None, thread: str) -> Reply:
        allowed = allowed_commands(
            self.policy,
            user=message.user,
            user_groups=message.user_groups,
            channel=message.channel,
            cluster=cluster,
        )
        text = messages.help_text(allowed=allowed, topic=topic, cluster=cluster, registry=self._registry)
        return Reply(text, thread, view=help_sheet(allowed=allowed, topic=topic, registry=self._registry))
