"""Approval requests from the engine's side: park the job, run its plan, ask, then release or discard.

A command that needs approval goes through three steps: the real job is parked and its plan runs at
once as a dry-run job (:meth:`ApprovalFlow.request_approval`); only a plan that succeeds opens the
request (:meth:`ApprovalFlow.plans_reported`, :mod:`bot.core.plan_gate`), and a plan that fails
answers the requester and asks nobody. The answer that decides the request
(:meth:`ApprovalFlow.answer`, or a ``cancel``) releases the parked job (approved) or discards it
(denied, expired, cancelled); the job then checks that the cluster still matches the approved plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from bot.core import rechecks, request_events
from bot.core.approvals import Answer, ApprovalState, approval_id_for
from bot.core.chat import Message, Reply
from bot.core.deferral import Gated, planning_note
from bot.core.job_requests import JobRequests
from bot.core.plan_gate import planning_request
from bot.core.policy import Policy
from bot.core.ports import ApprovalPort, JobPort, TimelinePort
from bot.core.recording import Observations, Recorder
from bot.core.timeline import approval_answer_entry
from shared import commands
from shared.command_words import describe
from shared.invocation import invocation_of
from shared.jobevents import JobEvent
from shared.jobs import plan_job_id
from shared.messages import approvals as approval_messages
from shared.messages import conversation as messages
from shared.messages import freezes as freeze_messages
from shared.messages import jobs as job_messages


class ApprovalFlow:
    """Opens, answers and settles the approval requests of one policy's commands."""

    def __init__(
        self,
        *,
        policy: Policy,
        approvals: ApprovalPort,
        jobs: JobPort,
        timeline: TimelinePort,
        requests: JobRequests,
        recorder: Recorder,
        observations: Observations,
    ) -> None:
        self._policy = policy
        self._approvals = approvals
        self._jobs = jobs
        self._timeline = timeline
        self._requests = requests
        self._recorder = recorder
        self._observations = observations
        self._recheck_round: int | None = None

    def cancel(self, message: Message, job_id: str, *, thread: str) -> Reply:
        """``cancel JOB`` by someone allowed to: its approval request if it still waits, else the job."""
        approval = self._approvals.get(approval_id_for(job_id=job_id))
        if approval is not None and approval.state.is_live:
            answer = self._approvals.cancel(approval.approval_id, user=message.user)
            if answer is not None:
                if answer.decided and approval.state is ApprovalState.PLANNING:
                    self._jobs.cancel(plan_job_id(job_id))  # its plan is no longer wanted
                self.settle(answer, message=message)
                return Reply(
                    answer.reply, thread, ephemeral=answer.outcome.is_refusal, approval=answer.request
                )
        before = self._jobs.cancel(job_id)
        if before is None:
            return Reply(messages.no_such_job(job_id=job_id), thread, ephemeral=True)
        return Reply(messages.cancel_result(job_id=job_id, status=before), thread)

    def request_approval(
        self, message: Message, command: commands.Command, *, cluster: str, thread: str, gated: Gated
    ) -> list[Reply]:
        """Park the job and run its plan; approvers are asked only once it succeeds (:mod:`bot.core.plan_gate`).

        ``gated`` holds the requirement (a break-glass adds the incident group's approval) and the
        schedule the job keeps for its start once approved."""
        requirement = gated.decision.approval
        assert requirement is not None
        request = self._requests.request_context(message, command, cluster=cluster, thread=thread)
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
        self._observations.command(
            message,
            verb=command.name,
            outcome=outcome,
            cluster=cluster,
            job_id=request.job_id,
            approval_id=stored.approval_id,
        )
        if stored != approval:
            return [Reply(job_messages.duplicate(job_id=request.job_id), thread, job_id=request.job_id)]
        real = self._requests.spec(command, request, schedule=gated.schedule)
        real = dataclasses.replace(
            real, kwargs={**real.kwargs, "approval": {"approval_id": stored.approval_id, "plan_job": plan_id}}
        )
        self._jobs.park(real)
        plan_command = dataclasses.replace(command, dry_run=True)
        plan_request = dataclasses.replace(
            request, job_id=plan_id, command=invocation_of(plan_command).to_json(), undo=None
        )
        plan = self._requests.spec(plan_command, plan_request)
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
            default_namespace=self._policy.default_namespace,
            decided=self._observations.decision,
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

    def answer(self, message: Message, command: commands.Approve | commands.Deny) -> list[Reply]:
        """``approve``/``deny`` in a request's thread (or its buttons): the request it names or the one pending."""
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
                approval_id, policy=self._policy, user=message.user, user_groups=message.user_groups
            )
        else:
            answer = self._approvals.deny(
                approval_id,
                policy=self._policy,
                user=message.user,
                user_groups=message.user_groups,
                reason=command.reason,
            )
        if answer is None:
            return [Reply(approval_messages.no_such_request(approval_id=approval_id), thread, ephemeral=True)]
        replies = [Reply(answer.reply, thread, ephemeral=answer.outcome.is_refusal, approval=answer.request)]
        released = self.settle(answer, message=message)
        if released is not None:
            replies.append(released)
        return replies

    def settle(self, answer: Answer, *, message: Message) -> Reply | None:
        """Record an answer; when it decided the request, release or discard the parked job."""
        self._recorder.append(
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
        self._observations.decision(request)
        if request.state is not ApprovalState.APPROVED:
            self._jobs.discard(request.job_id)
            return None
        submission = self._jobs.release(request.job_id)
        if submission is None:
            return Reply(approval_messages.job_gone(job_id=request.job_id), request.thread_ts)
        if submission.schedule is not None:
            schedule, channel, thread = submission.schedule, request.channel, request.thread_ts
            return self._requests.deferred(
                request.job_id, request.description, request.cluster, schedule, channel=channel, thread=thread
            )
        text = job_messages.queued(
            job_id=request.job_id,
            description=request.description,
            cluster=request.cluster,
            position=submission.position,
        )
        return Reply(text, request.thread_ts, job_id=request.job_id)

    def recheck_pending(self, *, interval: float) -> list[str]:
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
