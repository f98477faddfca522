"""Real ``chatops worker`` processes for drills: started, watched and killed like pods in a cluster.

Each :class:`WorkerProcess` is the production entry point (``.venv/bin/chatops worker``) forking a
work-horse per job, with fast liveness settings so a death is noticed within about a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis

from shared.jobevents import EventKind, JobEvent
from tests.workers.harness import read_events

LIVENESS_SECONDS = 1.0
"""A drill worker silent this long is dead."""

REAP_INTERVAL_SECONDS = 0.2
"""How often drill workers look for jobs of dead workers."""

DETECTION_BOUND_SECONDS = LIVENESS_SECONDS + REAP_INTERVAL_SECONDS
"""The configured worst case between a worker's death and its job being reported failed."""


class WorkerProcess:
    """One ``chatops worker`` subprocess serving the ``default`` cluster's queue."""

    def __init__(
        self,
        *,
        name: str,
        redis_url: str,
        kubeconfig: Path,
        log: Path,
        burst: bool = False,
        liveness_seconds: float = LIVENESS_SECONDS,
    ) -> None:
        chatops = Path(sys.executable).parent / "chatops"
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "KUBECONFIG": str(kubeconfig),
            "CHATOPS_CLUSTER": "default",
        }
        command = [
            str(chatops),
            "worker",
            "--name",
            name,
            "--liveness-seconds",
            str(liveness_seconds),
            "--reap-interval",
            str(REAP_INTERVAL_SECONDS),
        ]
        if burst:
            command.append("--burst")
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        """The worker's (parent) process id."""
        return self.process.pid

    def horse_pid(self) -> int | None:
        """The process id of the work-horse the worker forked, if one is running."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.pid:
                return int(stat.parent.name)
        return None

    def kill(self) -> None:
        """SIGKILL the worker process, as a node or the OOM killer would."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self, *, grace: float = 10.0) -> None:
        """Stop the worker if it still runs (SIGTERM: warm shutdown, then SIGKILL if it lingers ``grace`` s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()

    def wait(self, *, seconds: float = 60.0) -> int:
        """Wait for a ``--burst`` worker to exit; returns its exit status."""
        return self.process.wait(timeout=seconds)

    def output(self) -> str:
        """What the worker logged so far."""
        self._log_file.flush()
        return self.log.read_text(errors="replace")


def pid_alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate: Callable[[], bool], *, what: str, seconds: float = 30.0) -> None:
    """Poll until ``predicate()`` holds; a drill that gives up fails with ``what`` (it never hangs)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def final_event(connection: Redis, job_id: str, *, seconds: float = 60.0) -> JobEvent:
    """Wait for a job's final event (succeeded, failed or cancelled) and return it."""
    found: list[JobEvent] = []

    def ended() -> bool:
        found[:] = [e for e in read_events(connection, job_id) if e.kind.is_final]
        return bool(found)

    wait_until(ended, what=f"the final event of {job_id}", seconds=seconds)
    return found[0]


def evicted_so_far(connection: Redis, job_id: str) -> list[str]:
    """The pods a job reported evicted."""
    return [
        str(e.details["pod"])
        for e in read_events(connection, job_id)
        if e.kind == EventKind.PROGRESS and "pod" in e.details
    ]
