"""Noticing a worker killed in the middle of a job, within a bounded time we configure, and saying so.

RQ alone notices late: a started job's heartbeat outlives its worker by at least 60 s plus the monitoring
interval, and only another worker's maintenance pass (every 10 minutes by default) moves it to the failed
registry, silently (no event for the requester, and the target's lock waits out its own TTL).

So every ``chatops worker`` is a :class:`WatchedWorker`:

* its parent process keeps a liveness key alive (``liveness_seconds``, refreshed three times as often) and
  every ``reap_interval_seconds`` runs :func:`reap` over its queues, even while it is busy with a job;
* its work-horse dies with its parent (Linux ``PR_SET_PDEATHSIG``), so a killed worker never leaves a
  horse draining on its own while the job is reported dead;
* its forked children (the horse and RQ's scheduler) close their copies of the parent's Redis sockets, so
  a killed parent's connections end with it: a job pushed in the moment between its death and its
  children's cannot be handed to its pending ``BLMOVE`` and strand in RQ's intermediate queue;
* a horse killed under a living parent (OOM, ``kill -9``) is settled at once by that parent.

:func:`~workers.reaping.reap` then settles each dead job once (:mod:`workers.reaping`). The worst-case
detection time is ``liveness_seconds`` plus ``reap_interval_seconds``.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from redis import ConnectionPool, Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.job import Job
from rq.scheduler import RQScheduler

from shared.background import Loop
from shared.messages import operations as wording
from workers.reaping import WATCHED_WORKERS, alive_key, reap, settle

log = logging.getLogger("chatops.watchdog")

PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent dies."""


@dataclasses.dataclass(frozen=True)
class WatchSettings:
    """How fast a dead worker is noticed: at worst ``liveness_seconds + reap_interval_seconds``."""

    liveness_seconds: float = 30.0
    """A worker whose parent process has been silent this long is dead."""
    reap_interval_seconds: float = 10.0
    """How often each worker looks for jobs of dead workers."""

    @property
    def beat_seconds(self) -> float:
        """How often the liveness key is refreshed."""
        return self.liveness_seconds / 3


# --- the worker ----------------------------------------------------------------------------------------------


class Liveness:
    """The parent process's thread: refresh the liveness key, and reap dead workers' jobs now and then."""

    def __init__(
        self, connection: Redis, *, worker: str, queue_names: Sequence[str], settings: WatchSettings
    ) -> None:
        self._connection = connection
        self._worker = worker
        self._queues = list(queue_names)
        self._settings = settings
        self._next_reap = time.monotonic()
        self._loop = Loop(
            self._beat_and_reap,
            name="chatops-liveness",
            logger=log,
            failure="liveness: Redis failed",
            every=min(settings.beat_seconds, settings.reap_interval_seconds),
            after_failure=min(settings.beat_seconds, settings.reap_interval_seconds),
            wait_first=True,
            expected=(RedisError,),
        )

    def beat(self) -> None:
        """Say this worker is alive, for ``liveness_seconds``."""
        now = time.time()
        record = json.dumps({"seen": now, "liveness": self._settings.liveness_seconds})
        with self._connection.pipeline() as pipe:
            pipe.set(alive_key(self._worker), 1, px=max(1, int(self._settings.liveness_seconds * 1000)))
            pipe.hset(WATCHED_WORKERS, self._worker, record)
            pipe.execute()

    def start(self) -> None:
        """Beat once now, then keep beating and reaping in the background."""
        self.beat()
        self._loop.start()

    def stop(self) -> None:
        """Stop beating and say this worker left (a clean exit is not a death)."""
        self._loop.stop(timeout=5)
        with contextlib.suppress(RedisError):
            self._connection.delete(alive_key(self._worker))
            self._connection.hdel(WATCHED_WORKERS, self._worker)

    def _beat_and_reap(self) -> None:
        self.beat()
        if time.monotonic() >= self._next_reap:
            self._next_reap = time.monotonic() + self._settings.reap_interval_seconds
            reap(self._connection, self._queues)


def _die_with_parent(parent: int) -> None:
    """In a work-horse: be killed when the worker process dies (Linux only; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _let_go_of(pools: Sequence[ConnectionPool]) -> None:
    """In a forked child: close its copies of the parent's Redis sockets (the parent's own stay open).

    ``Connection.disconnect`` run in another process than the one that connected only closes the socket,
    never shuts it down. The pools' lists are read without their locks: the child has one thread, and a lock
    another thread of the parent held at the fork would never be released here.
    """
    for pool in pools:
        inherited = [*getattr(pool, "_available_connections", ()), *getattr(pool, "_in_use_connections", ())]
        for connection in inherited:
            connection.disconnect()


class DyingScheduler(RQScheduler):
    """RQ's scheduler, whose forked process dies with the worker that started it.

    Killed without it (SIGKILL, OOM), a worker left its scheduler running on its own, holding the queue's
    scheduler lock and moving due jobs while no worker of that generation was left to run them.
    """

    def __init__(
        self, *args: Any, parent: int, parent_pools: Sequence[ConnectionPool], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._parent = parent
        self._parent_pools = parent_pools

    def work(self) -> None:
        """In the forked process: die with the worker, let go of its sockets, then schedule as RQ does."""
        _die_with_parent(self._parent)
        _let_go_of(self._parent_pools)
        super().work()  # type: ignore[no-untyped-call]  # rq leaves it untyped


class WatchedWorker(Worker):
    """RQ's forking worker, with a liveness key and a reaper (see the module docstring)."""

    def __init__(self, *args: Any, watch: WatchSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_settings = watch or WatchSettings()
        self._parent_pid = os.getpid()
        self._liveness_pool: ConnectionPool | None = None

    def _liveness_connection(self) -> Redis:
        """A client of its own (the worker's pool has RQ's 415 s socket timeout) for the liveness thread."""
        pool = self.connection.connection_pool
        options = {**pool.connection_kwargs, "socket_timeout": max(1.0, self.watch_settings.beat_seconds)}
        self._liveness_pool = ConnectionPool(connection_class=pool.connection_class, **options)
        return Redis(connection_pool=self._liveness_pool)

    def _pools(self) -> list[ConnectionPool]:
        """The worker process's Redis pools, whose sockets a forked child must not keep open."""
        pools = [self.connection.connection_pool]
        return pools if self._liveness_pool is None else [*pools, self._liveness_pool]

    def work(self, *args: Any, **kwargs: Any) -> bool:
        """Run RQ's work loop with the liveness thread beside it."""
        self._parent_pid = os.getpid()
        liveness = Liveness(
            self._liveness_connection(),
            worker=self.name,
            queue_names=self.queue_names(),
            settings=self.watch_settings,
        )
        liveness.start()
        try:
            worked: bool = super().work(*args, **kwargs)
        finally:
            liveness.stop()
        return worked

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ's scheduler (started as RQ starts it), as a :class:`DyingScheduler`."""
        self.scheduler = DyingScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
            parent=os.getpid(),
            parent_pools=self._pools(),
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()  # type: ignore[no-untyped-call]
            return
        try:  # a burst worker moves what is due now and stops
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
        finally:
            self.scheduler.release_locks()  # type: ignore[no-untyped-call]
            self.scheduler.register_death()

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        """In the forked horse: die with the worker, let go of its sockets, then run the job as RQ does."""
        _die_with_parent(self._parent_pid)
        _let_go_of(self._pools())
        super().main_work_horse(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        """The horse died under us: tell the requester now and free the lock (RQ records the failure)."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)  # type: ignore[no-untyped-call]
        execution = self.execution.id if self.execution is not None else ""
        try:
            settle(
                self.connection,
                job,
                execution=execution,
                cause=wording.horse_killed(ret_val),
                last_alive=time.time(),
                record_failure=False,
            )
        except RedisError as error:
            log.warning("could not settle job %s: %s", job.id, error)
