"""Repetition, medians and the machine description every benchmark report carries."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Timings of one operation, in seconds."""

    name: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median, the figure we quote on a noisy shared machine."""
        return statistics.median(self.seconds)

    def quantile(self, q: float) -> float:
        """The q-quantile (0..1) by nearest rank."""
        ordered = sorted(self.seconds)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index]


def measure(name: str, fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> Sample:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times timed."""
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return Sample(name, tuple(timings))


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * page_size / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()}"


def table(rows: Sequence[Sequence[str]]) -> str:
    """A plain text table with a header row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    """One line of the combined ``make bench`` table: a figure of ours, its peer, and how they compare."""

    figure: str
    ours: str
    peer: str
    ratio: str

    def cells(self) -> tuple[str, str, str, str]:
        """The four cells, in table order."""
        return (self.figure, self.ours, self.peer, self.ratio)


def ratio(ours: float, peer: float, *, digits: int = 2) -> str:
    """``ours / peer`` as ``1.23x``, or ``-`` when the peer is zero."""
    return f"{ours / peer:.{digits}f}x" if peer else "-"


def figures_table(rows: Sequence[Row]) -> str:
    """The combined table of figures with their peers."""
    return table([("figure", "ours", "peer", "ours/peer"), *(row.cells() for row in rows)])
