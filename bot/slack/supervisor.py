"""Keeping the bot's runner process alive beside its HTTP front (``chatops bot``, role all).

The runner is started as a fresh process (``spawn``: nothing of the front's threads or sockets is
inherited) and watched from a thread; when it exits without being asked to, it is started again
after a pause that doubles up to :data:`MAX_PAUSE_SECONDS`. Nothing is lost meanwhile: the front
keeps storing deliveries in the inbox and the new runner picks up what the old one left.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from bot.settings import Settings
from shared.messages import slack as messages

MAX_PAUSE_SECONDS = 30.0
STOP_GRACE_SECONDS = 20.0
"""How long a stopping runner may take to finish the deliveries in hand before it is killed."""

log = logging.getLogger(__name__)


class RunnerProcess:
    """The runner child process, restarted whenever it dies."""

    def __init__(self, settings: Settings, *, target: Callable[[Settings, str], None]) -> None:
        """``target`` is the runner's main, run in a spawned process with the settings and the consumer
        name (a module-level function, so spawn can pickle it)."""
        self._settings = settings
        self._target = target
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="runner-supervisor", daemon=True)
        self.restarts = 0
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        """Every runner this supervisor starts has this name, so each finds what the last one left."""

    def start(self) -> None:
        """Start the runner and watch it."""
        self._spawn()
        self._watcher.start()

    def stop(self) -> None:
        """Ask the runner to finish (SIGTERM), wait for it, kill it if it will not stop."""
        self._stopping.set()
        process = self._process
        if process is None:
            return
        process.terminate()
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(5.0)

    def _spawn(self) -> None:
        self._process = self._context.Process(
            target=self._target,
            args=(self._settings, self.consumer),
            name="chatops-runner",
            daemon=False,
        )
        self._process.start()

    def _watch(self) -> None:
        pause = 1.0
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            process.join(1.0)
            if process.is_alive() or self._stopping.is_set():
                continue
            log.error(messages.runner_died(exit_code=process.exitcode, pause=pause))
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
            self.restarts += 1
            self._spawn()
