"""Limits on what one message may ask, checked before the engine parses it into work.

The :class:`Gate` stands in front of :meth:`bot.core.conversation.Engine.handle` and refuses, each with
a reply that says what to do (``shared.messages.limits``) and a count (``chatops_limited_total``):

* a message longer than ``max_message_chars``, or of more than ``max_arguments`` words;
* a person sending more than ``user_commands_per_minute`` commands in a minute, or a channel more than
  ``channel_commands_per_minute``: the first refused message of the minute is answered "slow down",
  the rest of the burst silently, and none of it is queued or recorded (so a burst never grows a
  queue, a stream or the timeline);
* ``--cluster`` naming a cluster nobody configured (so no RQ queue is ever made for junk);
* a request needing approval from someone who already has ``max_pending_approvals`` waiting.

Names themselves (nodes, deployments, namespaces, images) are checked by the grammar against
Kubernetes' DNS-1123 rules (:mod:`shared.names`), before any job exists. Pure: the counters and the
pending approvals are read through ports.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from bot.core.approvals import ApprovalRequest
from bot.core.conversation import Message, Reply
from bot.core.deferral import parse_request
from bot.core.policy import Policy, channel_cluster, decide
from shared import commands
from shared.errors import UsageError
from shared.messages import limits as messages

DEFAULT_MAX_MESSAGE_CHARS = 2_000
DEFAULT_MAX_ARGUMENTS = 40
DEFAULT_USER_COMMANDS_PER_MINUTE = 20
DEFAULT_CHANNEL_COMMANDS_PER_MINUTE = 60
DEFAULT_MAX_PENDING_APPROVALS = 5
WINDOW_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits a :class:`Gate` applies; each is a setting (see ``bot.settings``)."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    """``CHATOPS_MAX_MESSAGE_CHARS``: the longest message read as a command."""
    max_arguments: int = DEFAULT_MAX_ARGUMENTS
    """``CHATOPS_MAX_ARGUMENTS``: the most words a command may have."""
    user_commands_per_minute: int = DEFAULT_USER_COMMANDS_PER_MINUTE
    """``CHATOPS_USER_COMMANDS_PER_MINUTE``: commands one person may send in a minute."""
    channel_commands_per_minute: int = DEFAULT_CHANNEL_COMMANDS_PER_MINUTE
    """``CHATOPS_CHANNEL_COMMANDS_PER_MINUTE``: commands one channel may send in a minute."""
    max_pending_approvals: int = DEFAULT_MAX_PENDING_APPROVALS
    """``CHATOPS_MAX_PENDING_APPROVALS``: approval requests one person may have waiting at once."""
    clusters: frozenset[str] = frozenset()
    """``CHATOPS_CLUSTERS``: clusters ``--cluster`` may name besides the policy's and the bot's own."""


class RateCounter(Protocol):
    """Counters per fixed time window, shared by every process of the bot (Redis)."""

    def hit(self, key: str, *, window_seconds: int, now: float) -> int:
        """Count one more under ``key`` in the window holding ``now``; the count so far, this one included."""


class PendingApprovals(Protocol):
    """The approval requests waiting for an answer (``bot.approval_store.ApprovalStore``)."""

    def undecided(self) -> list[ApprovalRequest]:
        """Every request not decided yet: pending, or still planning."""


@runtime_checkable
class LimitObserver(Protocol):
    """Where refusals are counted."""

    def limited(self, *, limit: str) -> None:
        """One message refused by ``limit`` (``message_length``, ``user_rate``…)."""


class _NoLimitObserver:
    def limited(self, *, limit: str) -> None:
        """Drop the report."""


def known_clusters(policy: Policy, *, default_cluster: str, extra: frozenset[str]) -> frozenset[str]:
    """The clusters commands may go to: the bot's own, the channels' and the rules', and ``extra``."""
    named = {cluster for _channel, cluster in policy.channel_clusters}
    for rule in policy.rules:
        named |= {cluster for cluster in rule.clusters or () if cluster != "*"}
    return frozenset({default_cluster, *named, *extra})


class Gate:
    """Refuses what exceeds the :class:`Limits`; :meth:`check` is the engine's first step."""

    def __init__(
        self,
        limits: Limits,
        *,
        policy: Policy,
        default_cluster: str,
        rates: RateCounter,
        approvals: PendingApprovals,
        observer: LimitObserver | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._policy = policy
        self._default_cluster = default_cluster
        self._clusters = known_clusters(policy, default_cluster=default_cluster, extra=limits.clusters)
        self._rates = rates
        self._approvals = approvals
        self._observer: LimitObserver = observer or _NoLimitObserver()
        self._clock = clock

    def check(self, message: Message) -> list[Reply] | None:
        """The replies refusing ``message`` (possibly none: a burst is told once), or None to go on."""
        thread = message.thread_ts or message.ts
        limits = self._limits
        if len(message.text) > limits.max_message_chars:
            return self._refuse("message_length", messages.too_long(limit=limits.max_message_chars), thread)
        if len(message.text.split()) > limits.max_arguments:
            return self._refuse("arguments", messages.too_many_arguments(limit=limits.max_arguments), thread)
        rated = self._rate(message, thread=thread)
        if rated is not None:
            return rated
        try:  # a command given as data (an Undo click) is checked as it is, never read back from its words
            command = message.command if message.command is not None else parse_request(message.text).command
        except UsageError:
            return None  # the engine answers it, with the usage
        if command.cluster is not None and command.cluster not in self._clusters:
            text = messages.unknown_cluster(cluster=command.cluster, known=sorted(self._clusters))
            return self._refuse("cluster", text, thread)
        if (
            self._asks_approval(message, command)
            and self._pending_of(message.user) >= limits.max_pending_approvals
        ):
            text = messages.too_many_pending(limit=limits.max_pending_approvals)
            return self._refuse("pending_approvals", text, thread)
        return None

    def _rate(self, message: Message, *, thread: str) -> list[Reply] | None:
        now = self._clock()
        for limit, key, allowed in (
            ("user_rate", f"user:{message.user}", self._limits.user_commands_per_minute),
            ("channel_rate", f"channel:{message.channel}", self._limits.channel_commands_per_minute),
        ):
            count = self._rates.hit(key, window_seconds=WINDOW_SECONDS, now=now)
            if count > allowed:
                self._observer.limited(limit=limit)
                if count > allowed + 1:
                    return []  # this minute's "slow down" was said already
                text = messages.slow_down(limit=allowed, per_channel=limit == "channel_rate")
                return [Reply(text, thread, ephemeral=True)]
        return None

    def _asks_approval(self, message: Message, command: commands.Command) -> bool:
        if command.dry_run:
            return False
        namespace = command.namespace
        if isinstance(command, commands.DeploymentCommand) and namespace is None:
            namespace = self._policy.default_namespace
        decision = decide(
            self._policy,
            user=message.user,
            user_groups=message.user_groups,
            command=command.name,
            channel=message.channel,
            namespace=namespace,
            cluster=command.cluster
            or channel_cluster(self._policy, channel=message.channel)
            or self._default_cluster,
        )
        return decision.allowed and decision.approval is not None

    def _pending_of(self, user: str) -> int:
        return sum(1 for request in self._approvals.undecided() if request.requester == user)

    def _refuse(self, limit: str, text: str, thread: str) -> list[Reply]:
        self._observer.limited(limit=limit)
        return [Reply(text, thread, ephemeral=True)]
