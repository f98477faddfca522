"""The one way a process runs work in the background: a daemon thread repeating a step until stopped.

Every background loop of the bot and the workers (job cards, approval expiry, the timeline recorder,
the Slack inbox reader, the backup scheduler, the worker's liveness beat, a lock's heartbeat) is a
:class:`Loop`: a ``step`` called again and again, a pause between steps (``every``; none for a step
that blocks on a read of its own), and a failing step that is logged and tried again after
``after_failure`` rather than ending the loop. :meth:`Loop.stop` wakes the pause at once; a step that
waits on its own should wait on :attr:`Loop.stopping` so that it wakes too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Loop:
    """``step`` repeated in a daemon thread named ``name`` until :meth:`stop`."""

    def __init__(
        self,
        step: Callable[[], object],
        *,
        name: str,
        logger: logging.Logger,
        failure: str,
        every: float = 0.0,
        after_failure: float = 1.0,
        wait_first: bool = False,
        expected: tuple[type[Exception], ...] = (),
    ) -> None:
        """``failure`` is logged when a step raises: with its traceback, or as one line for an
        ``expected`` error (Redis away for a moment). ``wait_first`` pauses ``every`` before the
        first step (a beat that was just given, an expiry checked at start-up already)."""
        self._step = step
        self._name = name
        self._log = logger
        self._failure = failure
        self._every = every
        self._after_failure = after_failure
        self._wait_first = wait_first
        self._expected = expected
        self.stopping = threading.Event()
        """Set by :meth:`stop`; a step that waits on its own waits on this."""
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Repeat the step in this thread until :meth:`stop` (tests call it in their own thread)."""
        if self._wait_first and self.stopping.wait(self._every):
            return
        while not self.stopping.is_set():
            try:
                self._step()
            except self._expected as error:
                self._log.warning(
                    "%s (%r); trying again in %.3g s", self._failure, error, self._after_failure
                )
                pause = self._after_failure
            except Exception:
                self._log.exception("%s; trying again in %.3g s", self._failure, self._after_failure)
                pause = self._after_failure
            else:
                pause = self._every
            if pause and self.stopping.wait(pause):
                return

    def start(self) -> None:
        """Run in a daemon thread (it dies with the process)."""
        self.stopping.clear()
        self._thread = threading.Thread(target=self.run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float | None = 5.0) -> None:
        """Stop after the current step, and wait up to ``timeout`` seconds for it to end."""
        self.stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the thread started by :meth:`start` is alive."""
        return self._thread is not None and self._thread.is_alive()
