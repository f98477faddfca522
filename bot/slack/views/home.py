"""The App Home tab: what waits for this person, what runs now, and what they may run.

When someone opens the bot's Home tab Slack sends ``app_home_opened``, and the bot publishes a view
for that person alone (``views.publish``, no scope needed) with three parts:

- the pending approval requests they could answer: the policy names them as an approver
  (:func:`~bot.core.policy.is_approver`, Slack user groups included), they did not ask for it, and
  their approval has not counted yet;
- the running and queued jobs of the bot's default cluster (``RQDispatcher.recent``);
- a cheat sheet of the commands the policy lets them run (``allowed_commands``), with the usage
  line and summary of each from the command reference.

Each request on the tab has its own Approve / Deny buttons (the action ids of the request message;
the click is answered in the request's thread, checked like any answer). The view is drawn fresh
when the tab is opened, and pushed again when something changes for the person
(:mod:`bot.slack.posting.home_push`).
:func:`home_view` is pure (the wording is in :mod:`shared.messages.slack`); :class:`HomePublisher`
gathers the parts and publishes them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalRequest
from bot.core.policy import Policy, allowed_commands, is_approver
from bot.core.ports import JobPort
from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from bot.slack.listeners.usergroups import UserGroupResolver
from bot.slack.views.blocks import SECTION_LIMIT, Block, actions, button, context, divider, header, section
from shared.jobs import JobState, JobSummary
from shared.messages import slack as messages
from shared.reference import CommandReference, command_reference

ACTIVE_STATES = frozenset({JobState.RUNNING, JobState.QUEUED})
"""The job states the tab lists."""
LIST_LIMIT = 20
"""Most requests or jobs listed; the rest are counted."""
JOBS_LOOKED_AT = 100
"""How many of the cluster's latest jobs are read to find the running and queued ones."""


@dataclasses.dataclass(frozen=True)
class HomeContent:
    """Everything one person's Home tab shows."""

    approvals: Sequence[ApprovalRequest]
    jobs: Sequence[JobSummary]
    cluster: str
    commands: Sequence[CommandReference]
    channels: Sequence[str] | None
    """The channels the policy takes commands in; ``None`` for anywhere."""
    at: float


def home_view(content: HomeContent) -> dict[str, Any]:
    """The ``home`` view of :class:`HomeContent`, within Block Kit's limits (100 blocks, 3000 a section)."""
    blocks: list[Block] = [header(messages.home_title())]
    blocks.append(section(messages.home_approvals_heading(count=len(content.approvals))))
    if content.approvals:
        for request in content.approvals[:LIST_LIMIT]:
            line = messages.home_approval_line(
                description=request.description,
                requester=request.requester,
                channel=request.channel,
                approvals=len(request.votes),
                needed=request.count,
                expires_at=request.expires_at,
            )
            blocks += [section(line), _decide_buttons(request.approval_id)]
        if len(content.approvals) > LIST_LIMIT:
            blocks.append(section(messages.home_more(count=len(content.approvals) - LIST_LIMIT)))
        blocks.append(context(messages.home_approvals_hint()))
    else:
        blocks.append(context(messages.home_no_approvals()))
    blocks.append(divider())
    blocks.append(section(messages.home_jobs_heading(cluster=content.cluster, count=len(content.jobs))))
    if content.jobs:
        blocks += _list_sections(
            [
                messages.home_job_line(
                    job_id=job.job_id,
                    description=job.description,
                    status=job.status,
                    user=job.user,
                    starts_at=job.starts_at,
                )
                for job in content.jobs
            ]
        )
    else:
        blocks.append(context(messages.home_no_jobs(cluster=content.cluster)))
    blocks.append(divider())
    blocks.append(section(messages.home_commands_heading()))
    if content.commands:
        lines = [
            messages.home_command_line(usage=command.usage, summary=command.summary)
            for command in content.commands
        ]
        blocks += _list_sections(lines, limit=len(lines))
        blocks.append(context(messages.home_where(channels=content.channels)))
    else:
        blocks.append(context(messages.home_no_commands()))
    blocks.append(context(messages.home_updated(at=content.at)))
    return View(type="home", blocks=blocks).to_dict()


def _decide_buttons(approval_id: str) -> Block:
    """Approve / Deny for one request on the tab: the same actions as on the request message.

    The value names the request; the click is checked against the stored request like any answer.
    """
    return actions(
        button(messages.approve_button(), action_id=APPROVE_ACTION, value=approval_id, style="primary"),
        button(messages.deny_button(), action_id=DENY_ACTION, value=approval_id, style="danger"),
        block_id=f"home:{approval_id}",
    )


def _list_sections(lines: Sequence[str], *, limit: int = LIST_LIMIT) -> list[Block]:
    """``lines`` (the first ``limit``, then a count of the rest) as few sections as fit."""
    shown = list(lines[:limit])
    if len(lines) > limit:
        shown.append(messages.home_more(count=len(lines) - limit))
    sections: list[Block] = []
    chunk: list[str] = []
    for line in shown:
        if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
            sections.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        sections.append(section("\n".join(chunk)))
    return sections


def pending_requests(connection: Redis) -> list[ApprovalRequest]:
    """Every pending approval request in Redis, the soonest to expire first."""
    return ApprovalStore(connection).pending()


def awaiting(
    requests: Iterable[ApprovalRequest], *, policy: Policy, user: str, user_groups: frozenset[str]
) -> list[ApprovalRequest]:
    """The requests ``user`` could answer: an approver, not the requester, not yet counted."""
    return [
        request
        for request in requests
        if request.requester != user
        and user not in request.approved_by
        and is_approver(policy, request.requirement, user=user, user_groups=user_groups)
    ]


def cheat_sheet(
    policy: Policy, *, user: str, user_groups: frozenset[str], channel: str, cluster: str
) -> list[CommandReference]:
    """The reference of every command ``user`` may run on ``cluster``, in ``help`` order.

    Under a policy that takes commands in some channels only, what counts is what they may run there
    (``channel``, where the tab was opened, is a DM the policy would refuse).
    """
    if policy.channels is not None:
        if not policy.channels:
            return []
        channel = sorted(policy.channels)[0]
    names = set(
        allowed_commands(policy, user=user, user_groups=user_groups, channel=channel, cluster=cluster)
    )
    return [command for command in command_reference() if command.name in names]


class HomePublisher:
    """Draws and publishes one person's Home tab."""

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: JobPort,
        cluster: str,
        pending: Callable[[], Sequence[ApprovalRequest]],
        groups: UserGroupResolver | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = policy
        self._jobs = jobs
        self._cluster = cluster
        self._pending = pending
        self._groups = groups
        self._clock = clock

    def content_for(self, user: str, *, channel: str) -> HomeContent:
        """What ``user``'s tab shows now; ``channel`` is where they opened it (their DM with the bot)."""
        groups = self._groups.groups_of(user) if self._groups is not None else frozenset()
        jobs = [
            job
            for job in self._jobs.recent(self._cluster, limit=JOBS_LOOKED_AT)
            if job.status in ACTIVE_STATES
        ]
        return HomeContent(
            approvals=awaiting(self._pending(), policy=self._policy, user=user, user_groups=groups),
            jobs=jobs,
            cluster=self._cluster,
            commands=cheat_sheet(
                self._policy, user=user, user_groups=groups, channel=channel, cluster=self._cluster
            ),
            channels=None if self._policy.channels is None else sorted(self._policy.channels),
            at=self._clock(),
        )

    def publish(self, client: WebClient, *, user: str, channel: str) -> None:
        """Publish ``user``'s Home tab (raises ``SlackApiError`` if Slack refuses it)."""
        client.views_publish(user_id=user, view=home_view(self.content_for(user, channel=channel)))
