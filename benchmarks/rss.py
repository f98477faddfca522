"""Resident memory of a process and its descendants, read from /proc (Linux only, no extra dependency).

The memory figures follow whole process trees: ``chatops bot`` may hand work to child processes, and a
forking ``chatops worker`` runs each job in a work-horse child. Resident sizes are summed, so pages a
forked child still shares with its parent count twice: an upper bound, the same way for ours and peers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")


def _parents() -> dict[int, int]:
    """Every live process id mapped to its parent's."""
    parents = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants still alive."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 once it is gone)."""
    return status_bytes(pid, "VmRSS")


def status_bytes(pid: int, field: str) -> int:
    """A size line of /proc/PID/status in bytes (``VmRSS``, or ``VmHWM``: the peak resident size of the
    process since it was started or last exec'd; 0 once it is gone). ``getrusage``'s ``ru_maxrss`` is
    no substitute in a child: Linux carries the parent's peak over the fork and exec into it."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def largest_rss(pid: int) -> int:
    """Resident set size of the largest process among ``pid`` and its descendants."""
    return max((rss_bytes(member) for member in tree(pid)), default=0)


def tree_rss(pid: int) -> int:
    """Resident set size of ``pid`` and its descendants, summed."""
    return sum(rss_bytes(member) for member in tree(pid))


class PeakRss:
    """The largest :func:`tree_rss` of a process seen by a background sampler."""

    def __init__(self, pid: int, *, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.largest = 0
        """The largest single process of the tree seen (the bot's front or runner, each its own pod)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name=f"rss-{pid}", daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.pid))
            self.largest = max(self.largest, largest_rss(self.pid))
            if self._stop.wait(self.interval):
                return

    def start(self) -> None:
        """Begin sampling."""
        self._thread.start()

    def stop(self) -> int:
        """Stop sampling; returns the peak in bytes."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


@contextlib.contextmanager
def peak_rss(pid: int) -> Iterator[PeakRss]:
    """Sample ``pid``'s tree while the block runs; read ``.peak`` afterwards."""
    sampler = PeakRss(pid)
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stop()


def settled_rss(pid: int, *, seconds: float = 2.0, largest: bool = False) -> int:
    """The tree's RSS after ``seconds`` of rest (the median of a few readings over that time); with
    ``largest``, that of its largest process."""
    readings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readings.append(largest_rss(pid) if largest else tree_rss(pid))
        time.sleep(seconds / 10)
    readings.sort()
    return readings[len(readings) // 2]


def mib(size: float) -> str:
    """Bytes as MiB for a table cell."""
    return f"{size / 2**20:.1f} MiB"
