"""The embedded default: Redis in memory (fakeredis) and an RQ worker on a thread of this process.

This is what ``make demo`` runs on, so a new user needs nothing but Python. Production runs real
Redis and forking ``chatops worker`` processes instead; the engine cannot tell the difference.
"""

from __future__ import annotations

import threading
from typing import Any

import fakeredis
from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from shared.jobs import queue_name


def embedded_redis() -> Redis:
    """A fresh in-memory Redis (with Lua, which RQ's unique enqueue needs)."""
    server = fakeredis.FakeServer()
    connection: Redis = fakeredis.FakeRedis(server=server)
    return connection


class ThreadWorker(SimpleWorker):
    """An RQ worker that can run on a non-main thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signals belong to the main thread (the console); this worker is stopped by burst mode."""

    def subscribe(self) -> None:
        """No pub/sub commands for an in-process worker: cancellation uses the job's own flag."""

    def unsubscribe(self) -> None:
        """Nothing to undo, see :meth:`subscribe`."""


class EmbeddedWorker:
    """Runs queued jobs of one cluster on a background thread, one burst at a time."""

    def __init__(
        self,
        connection: Redis,
        *,
        cluster: str,
        log_level: str = "CRITICAL",
        job_class: type[Job] = Job,
    ) -> None:
        """``log_level`` is RQ's own logging: quiet by default, since every job's outcome, failures
        included, already reaches the conversation as its events (no traceback in the chat).
        ``job_class`` is the one production workers use (``workers.admission``), given by the console."""
        self._connection = connection
        self._job_class = job_class
        self._cluster = cluster
        self._log_level = log_level
        self._thread: threading.Thread | None = None
        self.errors: list[BaseException] = []

    def start_burst(self) -> None:
        """Start working through the queue on a thread, unless a burst is already running."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._burst, name="chatops-embedded-worker", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a burst is running."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the current burst to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _burst(self) -> None:
        try:
            worker: Any = ThreadWorker(
                [queue_name(self._cluster)],
                connection=self._connection,
                serializer=JSONSerializer,
                job_class=self._job_class,
            )
            worker.work(burst=True, logging_level=self._log_level)
        except Exception as error:  # reported by the console; a worker bug must not kill the chat
            self.errors.append(error)
