"""What the engine writes down as it goes: timeline entries, and metrics with log lines.

:class:`Recorder` appends what was asked and answered to the timeline, one entry per chat message and
purpose (its ``event_id`` is derived from the message, so a redelivered message records nothing
twice). :class:`Observations` counts each handled command and each decided approval for the
:class:`~bot.core.ports.Observer` and logs it on ``chatops.engine`` with the ids to follow it by.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.core.approvals import ApprovalRequest
from bot.core.chat import Message
from bot.core.policy import Decision
from bot.core.ports import Observer, TimelinePort
from bot.core.timeline import Entry, EntryKind
from shared import commands
from shared.command_words import describe
from shared.jobs import job_id_for
from shared.messages import conversation as messages

log = logging.getLogger("chatops.engine")


class Recorder:
    """Writes the engine's entries to the timeline; ``clock`` gives the time of those not dated."""

    def __init__(self, *, timeline: TimelinePort, clock: Callable[[], float]) -> None:
        self._timeline = timeline
        self._clock = clock

    def append(self, entry: Entry | None) -> None:
        """Append ``entry``, if there is one."""
        if entry is not None:
            self._timeline.append(entry)

    def record(
        self,
        message: Message,
        *,
        kind: EntryKind,
        summary: str,
        suffix: str,
        at: float | None = None,
        **fields: Any,
    ) -> None:
        """An entry about ``message``, by its author, in its thread; ``suffix`` tells its purposes apart."""
        self._timeline.append(
            Entry(
                at=self._clock() if at is None else at,
                actor=message.user,
                kind=kind,
                summary=summary,
                channel=message.channel,
                thread_ts=message.thread_ts or message.ts,
                event_id=f"{message.channel}-{message.ts}-{suffix}",
                **fields,
            )
        )

    def record_command(
        self,
        message: Message,
        command: commands.Command,
        *,
        cluster: str,
        decision: Decision,
        runs_a_job: bool = False,
    ) -> None:
        """The entry of a command, allowed or refused, with the rule and approval that decided it."""
        details: dict[str, Any] = {"text": message.text, "allowed": decision.allowed}
        if decision.rule is not None:
            details["rule"] = decision.rule
        if decision.approval is not None:
            details["approval"] = {
                "approvers": list(decision.approval.approvers),
                "count": decision.approval.count,
            }
        self.record(
            message,
            kind=EntryKind.COMMAND,
            summary=describe(command) if decision.allowed else messages.denied_summary(describe(command)),
            suffix="command",
            cluster=cluster,
            target=command.target,
            job_id=job_id_for(channel=message.channel, message_ts=message.ts) if runs_a_job else "",
            details=details,
        )


class Observations:
    """Counts and logs what the engine decided; ``clock`` dates a decision that carries no time."""

    def __init__(self, *, observer: Observer, clock: Callable[[], float]) -> None:
        self._observer = observer
        self._clock = clock

    def command(
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

    def decision(self, request: ApprovalRequest) -> None:
        """Count a decided approval request with the time it waited, and log the decision."""
        decided_at = request.decided_at if request.decided_at is not None else self._clock()
        seconds = max(0.0, decided_at - request.created_at)
        self._observer.approval_decided(outcome=request.state.value, seconds=seconds)
        ids = {
            "approval_id": request.approval_id,
            "job_id": request.job_id,
            "cluster": request.cluster,
            "user": request.decided_by or request.requester,
        }
        log.info("approval %s %s after %.1fs", request.approval_id, request.state.value, seconds, extra=ids)
