"""The reliability tally: every fault drill counts its trials and what it saw lost or duplicated.

A drill test takes the ``drill`` fixture and, before asserting, reports what it tried and observed::

    drill.tried(Family.DRAIN_KILL)
    drill.lost(Family.DRAIN_KILL, len(missing))
    drill.duplicated(Family.DRAIN_KILL, len(names) - len(set(names)))

Counting comes before the assertions, so a loss shows in the table and still fails the test.
``pytest --drill-summary`` (what ``make reliability`` runs) prints one row per family at the end.
"""

from __future__ import annotations

import dataclasses
import enum

import pytest

ENABLED_OPTION = "--drill-summary"


class Family(enum.StrEnum):
    """The kinds of fault drilled, in the order of the summary table."""

    DRAIN_KILL = "worker SIGKILL at a random point of a drain"
    UPGRADE_KILL = "worker SIGKILL at a random point of an upgrade"
    RUNNER_KILL = "Slack runner SIGKILL while mentions arrive"
    REDIS_RESTART = "Redis restarts with work pending"
    DUPLICATE_DELIVERY = "duplicate Slack deliveries and re-submissions"
    CONCURRENT_APPROVALS = "concurrent approvals"
    API_STORM = "Kubernetes API 429/500 storms and hangs"
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


class Tally:
    """What the drills of one pytest session reported, by family."""

    def __init__(self) -> None:
        self.counts = {family: Count() for family in Family}

    def tried(self, family: Family, trials: int = 1) -> None:
        """``trials`` more trials of ``family`` were run."""
        self.counts[family].tried += trials

    def lost(self, family: Family, items: int) -> None:
        """A trial of ``family`` lost ``items`` things (a pod, a job, a final state); 0 is fine."""
        self.counts[family].lost += max(0, items)

    def duplicated(self, family: Family, items: int) -> None:
        """A trial of ``family`` did ``items`` things twice (an eviction, a run, a decision); 0 is fine."""
        self.counts[family].duplicated += max(0, items)

    def table(self) -> list[str]:
        """The summary rows, header first, total last."""
        rows = [("drill family", "tried", "lost", "duplicated")]
        for family, count in self.counts.items():
            rows.append((family.value, str(count.tried), str(count.lost), str(count.duplicated)))
        totals = Count(
            tried=sum(c.tried for c in self.counts.values()),
            lost=sum(c.lost for c in self.counts.values()),
            duplicated=sum(c.duplicated for c in self.counts.values()),
        )
        rows.append(("total", str(totals.tried), str(totals.lost), str(totals.duplicated)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]

        def line(row: tuple[str, str, str, str]) -> str:
            return "  ".join(
                [row[0].ljust(widths[0])] + [cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:])]
            )

        lines = [line(row) for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        lines.insert(len(lines) - 1, lines[1])
        return lines


TALLY_KEY = pytest.StashKey[Tally]()


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
    for line in config.stash[TALLY_KEY].table():
        terminalreporter.write_line(line)
