"""Child processes of the control plane: started with their output in a log file, waited on with the
log's last lines in the error when one dies, stopped in reverse order (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None

STOP_GRACE = 10.0
"""Seconds a process has to end after SIGTERM before it is killed."""


class StartError(RuntimeError):
    """A part of the control plane did not start; the message names it and quotes its log."""


class Process:
    """One running program and its log."""

    def __init__(
        self, name: str, argv: list[str], log_dir: Path, *, env: dict[str, str] | None = None
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("ab") as output:
            self._popen = subprocess.Popen(
                argv,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **(env or {})},
                # Only prctl runs between fork and exec, which is safe with threads about.
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )

    @property
    def pid(self) -> int:
        return self._popen.pid

    def running(self) -> bool:
        return self._popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the process's output."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within :data:`STOP_GRACE` seconds."""
        if not self.running():
            return
        self._signal(signal.SIGTERM)
        try:
            self._popen.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._popen.wait()

    def kill(self) -> None:
        """SIGKILL at once, as a crashed machine or the OOM killer ends it, and reap it."""
        if self.running():
            self._signal(signal.SIGKILL)
            self._popen.wait()

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, number)


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the process that started us dies, even by SIGKILL,
    so a killed test run or a crashed `chatops control-plane` leaves no API server behind."""
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def wait_until(
    ready: Callable[[], bool], *, what: str, watched: list[Process], seconds: float = 120.0
) -> None:
    """Poll ``ready()`` until it holds; a watched process that ends, or the deadline, is a StartError."""
    deadline = time.monotonic() + seconds
    while True:
        for process in watched:
            if not process.running():
                raise StartError(f"{process.name} exited while waiting for {what}:\n{process.log_tail()}")
        if ready():
            return
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name} ({p.log}):\n{p.log_tail(8)}" for p in watched)
            raise StartError(f"gave up after {seconds:.0f} s waiting for {what}\n{logs}")
        time.sleep(0.2)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports free on ``host`` now (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
