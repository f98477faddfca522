"""One mutating job per target: a Redis lock per node or deployment, with a fencing token.

The lock has a TTL a crashed worker cannot outlive (a heartbeat thread extends it while the job
runs; a dead job stops extending it and it expires), and a token: before each mutating step the
job calls :meth:`TargetLock.check`, which fails if the lock expired or was taken over, so a paused
worker that wakes up late cannot act on a target another job now owns. Each acquisition also
takes a fencing number (``INCR``) that increases with every holder, for records that need it.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from types import TracebackType
from typing import Protocol

from redis import Redis
from redis.exceptions import LockError

from shared.background import Loop
from shared.messages import operations as wording
from workers.errors import JobError

log = logging.getLogger(__name__)

UPGRADE_LOCK = "cluster/upgrade"
"""The target an upgrade (control plane or nodes) locks: one upgrade at a time per cluster."""

LOCK_TTL_SECONDS = 60.0
"""How long a lock outlives its last heartbeat (a crashed worker's lock is free after this)."""


class Guard(Protocol):
    """Something a job checks before each mutating step."""

    def check(self) -> None:
        """Raise :class:`~workers.errors.JobError` if the job may no longer change its target."""


def lock_key(target: str, *, cluster: str) -> str:
    """Redis key of a target's lock (``node/node-1``, ``deployment/default/web``) in ``cluster``.

    Clusters share one Redis and have nodes and deployments of the same names: a lock is per cluster.
    """
    return f"chatops:lock:{cluster}:{target}"


class TargetLock:
    """A held lock on one target, used as a context manager around a job's mutating part."""

    def __init__(
        self, connection: Redis, target: str, *, cluster: str, ttl: float = LOCK_TTL_SECONDS
    ) -> None:
        self.target = target
        self.cluster = cluster
        self.fence = 0
        self._connection = connection
        self._ttl = ttl
        self._lock = connection.lock(lock_key(target, cluster=cluster), timeout=ttl, thread_local=False)
        self._heartbeat = Loop(
            self._beat,
            name=f"lock {target}",
            logger=log,
            failure=f"lock {target}: the heartbeat failed",
            every=ttl / 3,
            after_failure=ttl / 3,
            wait_first=True,
        )

    def __enter__(self) -> TargetLock:
        self.fence = int(self._connection.incr(f"chatops:fence:{self.cluster}:{self.target}"))
        token = f"{self.fence}:{uuid.uuid4().hex}"
        if not self._lock.acquire(blocking=False, token=token):
            raise JobError(wording.target_busy(self.target))
        self._heartbeat.start()
        return self

    def _beat(self) -> None:
        try:
            self._lock.reacquire()
        except LockError:  # lost (expired and taken): stop extending; check() fails the job
            self._heartbeat.stopping.set()

    def check(self) -> None:
        """Fail unless this job still holds the lock (its token is the one stored)."""
        if not self._lock.owned():
            raise JobError(wording.lock_lost(self.target))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._heartbeat.stop(timeout=None)
        with contextlib.suppress(LockError):
            self._lock.release()


class Unguarded:
    """The guard of a dry run: nothing is changed, so there is nothing to lose."""

    def check(self) -> None:
        """Always fine."""
