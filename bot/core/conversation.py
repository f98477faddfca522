"""The conversation engine: one chat message in, the replies and the queued work out.

It is the same for every chat surface. An adapter (the console, Slack) turns what arrives into a
:class:`Message`, calls :meth:`Engine.handle`, and shows the :class:`Reply` values in the thread of
the request. The engine parses, checks the policy, and hands allowed work to a :class:`JobPort`,
which the adapter provides (RQ in production). It never talks to Slack, Redis or Kubernetes itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from bot.core import commands
from bot.core.errors import UsageError
from bot.core.grammar import parse
from bot.core.jobevents import RequestContext
from bot.core.jobs import JobSpec, JobSummary, Submission, job_id_for, job_spec
from bot.core.messages import conversation as messages
from bot.core.messages import jobs as job_messages
from bot.core.policy import Policy, allowed_commands, decide


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


@dataclasses.dataclass(frozen=True)
class Reply:
    """Something the bot says, in the thread of the request."""

    text: str
    thread_ts: str
    ephemeral: bool = False
    """Only for the person who asked (usage errors, refusals)."""
    job_id: str | None = None
    """The job this reply is about, when there is one."""


class JobPort(Protocol):
    """What the engine needs from the job queue."""

    def submit(self, spec: JobSpec) -> Submission:
        """Queue ``spec`` once; a second submission of the same id is reported as a duplicate."""

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job; return its status before cancelling, or None if there is no such job."""

    def recent(self, cluster: str, *, limit: int = 10) -> Sequence[JobSummary]:
        """The latest jobs of ``cluster``, newest first."""


IMPLEMENTED: frozenset[str] = frozenset(
    {
        "nodes",
        "status",
        "history",
        "cordon",
        "uncordon",
        "drain",
        "maintain",
        "unmaintain",
        "rollback",
        "restart",
        "scale",
        "image",
        "strategy",
        "pause",
        "resume",
        "upgrade plan",
        "backup config",
        "etcd snapshot",
        "etcd status",
        "etcd restore",
    }
)
"""Commands carried out by a job in ``workers.jobs``; the rest are understood but not yet built.

``tests/test_job_registry.py`` keeps this in step with the job functions that exist."""


class Engine:
    """Turns messages into replies and jobs, under one policy."""

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: JobPort,
        default_cluster: str,
        implemented: frozenset[str] = IMPLEMENTED,
    ) -> None:
        self.policy = policy
        self._jobs = jobs
        self._default_cluster = default_cluster
        self._implemented = implemented

    def handle(self, message: Message) -> list[Reply]:
        """Answer one message. Never raises for bad input: every problem becomes a reply."""
        thread = message.thread_ts or message.ts
        try:
            command = parse(message.text)
        except UsageError as error:
            return [Reply(str(error), thread, ephemeral=True)]
        cluster = command.cluster or self._default_cluster
        if isinstance(command, commands.Help):
            return [Reply(self._help(message, cluster=cluster, topic=command.topic), thread)]
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
        if not decision.allowed:
            return [Reply(decision.reason, thread, ephemeral=True)]
        if isinstance(command, commands.Jobs):
            return [Reply(messages.jobs_list(self._jobs.recent(cluster), cluster=cluster), thread)]
        if isinstance(command, commands.Cancel):
            return [Reply(self._cancel(command.job), thread)]
        if command.name not in self._implemented:
            return [Reply(job_messages.not_available_yet(command=command.name), thread)]
        if decision.approval is not None and not command.dry_run:
            return [
                Reply(
                    messages.approval_not_available(
                        command=command.name,
                        approvers=decision.approval.approvers,
                        count=decision.approval.count,
                    ),
                    thread,
                )
            ]
        return [self._submit(command, message=message, cluster=cluster, thread=thread)]

    def _submit(self, command: commands.Command, *, message: Message, cluster: str, thread: str) -> Reply:
        request = RequestContext(
            job_id=job_id_for(channel=message.channel, message_ts=message.ts),
            user=message.user,
            channel=message.channel,
            thread_ts=thread,
            cluster=cluster,
            text=message.text,
        )
        description = describe(command)
        spec = job_spec(
            command_name=command.name,
            arguments=arguments_of(command),
            request=request,
            description=description,
        )
        submission = self._jobs.submit(spec)
        if submission.duplicate:
            return Reply(job_messages.duplicate(job_id=spec.job_id), thread, job_id=spec.job_id)
        text = job_messages.queued(
            job_id=spec.job_id, description=description, cluster=cluster, position=submission.position
        )
        if command.dry_run:
            text = job_messages.dry_run_only(description=description) + " " + text
        return Reply(text, thread, job_id=spec.job_id)

    def _cancel(self, job_id: str) -> str:
        before = self._jobs.cancel(job_id)
        if before is None:
            return messages.no_such_job(job_id=job_id)
        return messages.cancel_result(job_id=job_id, status=before)

    def _help(self, message: Message, *, cluster: str, topic: str | None) -> str:
        allowed = allowed_commands(
            self.policy,
            user=message.user,
            user_groups=message.user_groups,
            channel=message.channel,
            cluster=cluster,
        )
        return messages.help_text(allowed=allowed, topic=topic)


def arguments_of(command: commands.Command) -> dict[str, Any]:
    """The job's keyword arguments: the command's own fields, without the routing ones."""
    fields = {field.name: getattr(command, field.name) for field in dataclasses.fields(command)}
    fields.pop("cluster", None)
    return fields


def describe(command: commands.Command) -> str:
    """A few words saying what the command does, for messages and job descriptions."""
    if isinstance(command, commands.NodeCommand):
        return f"{command.name} node/{command.node}"
    if isinstance(command, commands.DeploymentCommand):
        return f"{command.name} deployment/{command.deployment} in namespace {command.namespace}"
    target = command.target
    return f"{command.name} {target}".strip()
