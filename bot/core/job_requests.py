"""From an allowed command to its job on the cluster's queue, and the reply saying it is queued.

The job's id comes from the chat message (a redelivery names the same job, queued once), its function
and timeout from the command's registry entry, and its ``act_as`` from the policy's identities. A job
with a later start (its window, ``--at``/``--in``) carries its schedule and waits for RQ's scheduler.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.core.chat import Message, Reply
from bot.core.deferral import deferred
from bot.core.policy import Policy
from bot.core.ports import JobPort
from bot.core.recording import Observations, Recorder
from shared import commands
from shared.command_words import arguments_of, describe
from shared.invocation import invocation_of
from shared.jobevents import RequestContext
from shared.jobs import JobSpec, job_id_for, job_spec
from shared.messages import jobs as job_messages
from shared.schedules import SCHEDULE_ARGUMENT, Schedule
from shared.undo import undo_offer


class JobRequests:
    """Builds and submits the jobs of one policy's commands."""

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: JobPort,
        observations: Observations,
        recorder: Recorder,
        clock: Callable[[], float],
    ) -> None:
        self._policy = policy
        self._registry = policy.registry
        self._jobs = jobs
        self._observations = observations
        self._recorder = recorder
        self._clock = clock

    def request_context(
        self, message: Message, command: commands.Command, *, cluster: str, thread: str, lookup: bool = False
    ) -> RequestContext:
        """Who asked for the job ``message`` asks for, where, in which thread it is answered, and what,
        as data: the command and the undo it will offer (worked out now, by its registry entry)."""
        undo = undo_offer(command, registry=self._registry)
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

    def spec(
        self, command: commands.Command, request: RequestContext, *, schedule: Schedule | None = None
    ) -> JobSpec:
        """The job carrying out ``command``: its entry's function and timeout, acting as the policy says,
        starting when ``schedule`` says (None: now)."""
        spec = job_spec(
            command_name=command.name,
            arguments=arguments_of(command),
            request=request,
            description=describe(command),
            registry=self._registry,
        )
        if schedule is not None:
            spec = dataclasses.replace(spec, kwargs={**spec.kwargs, SCHEDULE_ARGUMENT: schedule.to_json()})
        # Checked before anything is queued (an unmapped requester is refused), so this never raises.
        identity = self._policy.identities.acting_as(user=request.user, cluster=request.cluster)
        if identity is None:
            return spec
        return dataclasses.replace(spec, kwargs={**spec.kwargs, "act_as": identity.to_json()})

    def submit(
        self,
        command: commands.Command,
        *,
        message: Message,
        cluster: str,
        thread: str,
        schedule: Schedule | None = None,
    ) -> Reply:
        """Queue the job of an allowed command that needs no approval, and say so (a lookup quietly);
        with a ``schedule`` that starts later, hand it to RQ's scheduler."""
        lookup = self._registry[command.name].lookup
        request = self.request_context(message, command, cluster=cluster, thread=thread, lookup=lookup)
        spec = self.spec(command, request, schedule=schedule)
        submission = self._jobs.submit(spec)
        outcome = "duplicate" if submission.duplicate else "queued"
        self._observations.command(
            message, verb=command.name, outcome=outcome, cluster=cluster, job_id=spec.job_id
        )
        if submission.duplicate:
            return Reply(job_messages.duplicate(job_id=spec.job_id), thread, job_id=spec.job_id, quiet=lookup)
        if submission.schedule is not None:
            return self.deferred(
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

    def deferred(
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
            now=self._clock(),
        )
        self._recorder.append(said.entry)
        return Reply(said.reply, thread, job_id=job_id, starts_at=schedule.start_at)
