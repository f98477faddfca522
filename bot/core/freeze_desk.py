"""``freeze`` and ``unfreeze``, answered by the engine once the grammar has read them.

What they mean, who may, and what a freeze refuses are in :mod:`bot.core.freezing`; this desk reads
the message, asks it, records what changed on the timeline and says so.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.chat import Message, Reply
from bot.core.freezing import known_clusters, read_freeze, run_freeze
from bot.core.policy import Policy
from bot.core.ports import FreezePort
from bot.core.recording import Recorder
from bot.core.timeline import EntryKind
from shared import commands
from shared.errors import UsageError
from shared.freezes import Freeze
from shared.messages import jobs as job_messages


class FreezeDesk:
    """Answers ``freeze [CLUSTER] [--until TIME] REASON`` and ``unfreeze [CLUSTER]`` for one engine."""

    def __init__(
        self,
        *,
        policy: Policy,
        freezes: FreezePort | None,
        recorder: Recorder,
        clock: Callable[[], float],
        default_cluster: str,
        cluster_for: Callable[..., str],
    ) -> None:
        """``cluster_for(channel=, named=)`` is where a command goes (the engine's rule)."""
        self._policy = policy
        self._freezes = freezes
        self._recorder = recorder
        self._clock = clock
        self._default_cluster = default_cluster
        self._cluster_for = cluster_for

    def answer(self, message: Message, command: commands.Freeze | commands.Unfreeze, *, thread: str) -> Reply:
        """The reply to ``freeze``/``unfreeze``."""
        clusters = known_clusters(self._policy, default=self._default_cluster)
        try:
            parsed = read_freeze(command, clusters=clusters)
        except UsageError as error:
            return Reply(str(error), thread, ephemeral=True)
        cluster = self._cluster_for(channel=message.channel, named=parsed.cluster)
        if self._freezes is None:
            return Reply(job_messages.not_available_yet(command="freeze"), thread, ephemeral=True)
        outcome = run_freeze(
            parsed,
            policy=self._policy,
            freezes=self._freezes,
            user=message.user,
            user_groups=message.user_groups,
            cluster=cluster,
            now=self._clock(),
        )
        if outcome.summary is not None:
            self._recorder.record(
                message, kind=EntryKind.COMMAND, summary=outcome.summary, suffix="freeze", cluster=cluster
            )
        return Reply(outcome.reply, thread, ephemeral=outcome.ephemeral)

    def get(self, cluster: str) -> Freeze | None:
        """The freeze holding ``cluster`` now, if any (none without a freeze store)."""
        return self._freezes.get(cluster) if self._freezes is not None else None
