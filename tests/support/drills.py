"""The reliability tally: every fault drill counts its trials and what it saw lost or duplicated.

A drill test takes the ``drill`` fixture and, before asserting, reports what it tried and observed::

    drill.tried(Family.DRAIN_KILL)
    drill.lost(Family.DRAIN_KILL, len(missing))
    drill.duplicated(Family.DRAIN_KILL, len(names) - len(set(names)))

Counting comes before the assertions, so a loss shows in the table and still fails the test.
A drill that measures how long the system took to be whole again reports that too::

    drill.recovered(Family.DRAIN_KILL, seconds)

``pytest --drill-summary`` (what ``make reliability`` runs) prints one row per family at the end, with the
slowest recovery and the seed the trials drew their fault points from (see ``tests.support.drill_trials``),
and fails the session if any trial lost or duplicated anything, or a family ran fewer trials than
:data:`MINIMUM_TRIALS` asks for.

Spread over processes (``pytest -n``, pytest-xdist, as ``make reliability`` runs), each worker process
counts its own trials and hands its tally to the controlling process when it finishes; the controller
adds them up and prints the one table.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import pytest

ENABLED_OPTION = "--drill-summary"


class Family(enum.StrEnum):
    """The kinds of fault drilled, in the order of the summary table."""

    DRAIN_KILL = "worker SIGKILL at a random point of a drain"
    UPGRADE_KILL = "worker SIGKILL at a random point of an upgrade"
    RUNNER_KILL = "Slack runner SIGKILL while mentions arrive"
    REDIS_RESTART = "Redis restarts with work pending"
    SENTINEL_FAILOVER = "Redis Sentinel failover (master SIGKILLed) with work pending"
    DUPLICATE_DELIVERY = "duplicate Slack deliveries and re-submissions"
    CONCURRENT_APPROVALS = "concurrent approvals"
    API_STORM = "Kubernetes API 429/500 storms and hangs"
    APISERVER_RESTART = "kube-apiserver SIGKILLed and restarted mid-drain (real control plane)"
    SLACK_429 = "Slack 429 storms"
    TIMELINE_OUTAGE = "the timeline store failing mid-job"
    PARSER_FUZZ = "parser fuzzing (generated chat text)"
    SIGNATURE = "signature tampering and replays"


@dataclasses.dataclass
class Count:
    """One family's trials and the trials that lost or duplicated something."""

    tried: int = 0
    lost: int = 0
    duplicated: int = 0
    slowest: float | None = None
    """The longest recovery a trial reported, in seconds (None: the family has no recovery to time)."""


MINIMUM_TRIALS = {Family.SIGNATURE: 100, Family.PARSER_FUZZ: 10_000}
"""Trials a family must reach at volume (``--drill-summary`` over every family); any other family: 20."""

DEFAULT_MINIMUM = 20


class Tally:
    """What the drills of one pytest session reported, by family."""

    def __init__(self) -> None:
        self.counts = {family: Count() for family in Family}
        self.seed: int | None = None

    def tried(self, family: Family, trials: int = 1) -> None:
        """``trials`` more trials of ``family`` were run."""
        self.counts[family].tried += trials

    def lost(self, family: Family, items: int) -> None:
        """A trial of ``family`` lost ``items`` things (a pod, a job, a final state); 0 is fine."""
        self.counts[family].lost += max(0, items)

    def duplicated(self, family: Family, items: int) -> None:
        """A trial of ``family`` did ``items`` things twice (an eviction, a run, a decision); 0 is fine."""
        self.counts[family].duplicated += max(0, items)

    def recovered(self, family: Family, seconds: float) -> None:
        """A trial of ``family`` was whole again ``seconds`` after its fault; the table keeps the slowest."""
        count = self.counts[family]
        count.slowest = seconds if count.slowest is None else max(count.slowest, seconds)

    def as_json(self) -> dict[str, list[float | None]]:
        """The counts, by family name, as a worker process hands them to the controller."""
        return {
            family.name: [count.tried, count.lost, count.duplicated, count.slowest]
            for family, count in self.counts.items()
        }

    def add(self, counts: dict[str, list[float | None]]) -> None:
        """Add another process's counts (as :meth:`as_json` gives them) to these."""
        for name, (tried, lost, duplicated, slowest) in counts.items():
            family = Family[name]
            self.tried(family, int(tried or 0))
            self.lost(family, int(lost or 0))
            self.duplicated(family, int(duplicated or 0))
            if slowest is not None:
                self.recovered(family, slowest)

    def short_of_minimum(self) -> list[str]:
        """The drilled families that ran fewer trials than they must at volume, with their counts
        (a family no drill of the session reported shows its zeros in the table instead)."""
        return [
            f"{family.value}: {count.tried} of {MINIMUM_TRIALS.get(family, DEFAULT_MINIMUM)}"
            for family, count in self.counts.items()
            if 0 < count.tried < MINIMUM_TRIALS.get(family, DEFAULT_MINIMUM)
        ]

    def table(self) -> list[str]:
        """The summary rows, header first, total last."""

        def slowest(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        rows = [("drill family", "trials", "lost", "duplicated", "slowest recovery (s)")]
        for family, count in self.counts.items():
            rows.append(
                (
                    family.value,
                    str(count.tried),
                    str(count.lost),
                    str(count.duplicated),
                    slowest(count.slowest),
                )
            )
        recoveries = [c.slowest for c in self.counts.values() if c.slowest is not None]
        totals = Count(
            tried=sum(c.tried for c in self.counts.values()),
            lost=sum(c.lost for c in self.counts.values()),
            duplicated=sum(c.duplicated for c in self.counts.values()),
            slowest=max(recoveries) if recoveries else None,
        )
        rows.append(
            ("total", str(totals.tried), str(totals.lost), str(totals.duplicated), slowest(totals.slowest))
        )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

        def line(row: tuple[str, ...]) -> str:
            return "  ".join(
                [row[0].ljust(widths[0])] + [cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:])]
            )

        lines = [line(row) for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        lines.insert(len(lines) - 1, lines[1])
        if self.seed is not None:
            lines.append(f"seed: {self.seed}")
        return lines


TALLY_KEY = pytest.StashKey[Tally]()

WORKER_OUTPUT = "drill_tally"
"""Where a pytest-xdist worker process leaves its tally for the controller."""


def in_worker_process(config: pytest.Config) -> bool:
    """True in a pytest-xdist worker process (its controller prints the table and gives the verdict)."""
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--drill-summary``: print the drill table at the end of the run."""
    parser.addoption(
        ENABLED_OPTION,
        action="store_true",
        default=False,
        help="print how many fault-drill trials ran and how many lost or duplicated anything",
    )


def pytest_configure(config: pytest.Config) -> None:
    """One tally per session."""
    config.stash[TALLY_KEY] = Tally()


@pytest.fixture(name="drill", scope="session")
def fixture_drill(request: pytest.FixtureRequest) -> Tally:
    """The session's drill tally, to report trials, losses and duplicates to."""
    return request.config.stash[TALLY_KEY]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the drill table when asked for it."""
    if not config.getoption(ENABLED_OPTION):
        return
    terminalreporter.section("fault drills: trials, and trials that lost or duplicated anything")
    tally = config.stash[TALLY_KEY]
    for line in tally.table():
        terminalreporter.write_line(line)
    for problem in verdict(config):
        terminalreporter.write_line(f"FAILED: {problem}", red=True)


def verdict(config: pytest.Config) -> list[str]:
    """What makes a ``--drill-summary`` session fail even if every test passed: anything lost or
    duplicated, or (unless the run was narrowed to some trials) a family short of its minimum."""
    tally = config.stash[TALLY_KEY]
    problems = [
        f"{family.value}: {count.lost} lost, {count.duplicated} duplicated"
        for family, count in tally.counts.items()
        if count.lost or count.duplicated
    ]
    if config.getoption("--only", None) is None and not config.getoption("-k"):
        problems += [f"too few trials, {short}" for short in tally.short_of_minimum()]
    return problems


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the controller of ``pytest -n``: add a finished worker process's tally to the session's."""
    counts = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if counts is not None:
        node.config.stash[TALLY_KEY].add(counts)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A ``--drill-summary`` session with a loss, a duplicate or too few trials fails; a worker process
    hands its tally on instead."""
    config = session.config
    if in_worker_process(config):
        config.workeroutput[WORKER_OUTPUT] = config.stash[TALLY_KEY].as_json()  # type: ignore[attr-defined]
        return
    if config.getoption(ENABLED_OPTION) and exitstatus == 0 and verdict(config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
