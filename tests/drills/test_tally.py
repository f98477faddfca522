"""The drill tally adds up what drills report and prints one row per family, zeros included; seeds repeat trials."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.drill_trials import family_named, seeded
from tests.support.drills import Family, Tally


def test_trials_losses_and_duplicates_add_up_per_family_and_in_the_total() -> None:
    """Two reports of one family are summed; a family nobody drilled still has its row of zeros."""
    tally = Tally()
    tally.tried(Family.DRAIN_KILL)
    tally.tried(Family.DRAIN_KILL, 2)
    tally.lost(Family.DRAIN_KILL, 1)
    tally.duplicated(Family.SLACK_429, 2)
    rows = {line.split("  ")[0]: line.split()[-4:-1] for line in tally.table()}
    assert rows[Family.DRAIN_KILL.value] == ["3", "1", "0"]
    assert rows[Family.SLACK_429.value] == ["0", "0", "2"]
    assert rows[Family.SIGNATURE.value] == ["0", "0", "0"]
    assert rows["total"] == ["3", "1", "2"]


def test_a_trial_that_observed_nothing_wrong_reports_zero_and_negative_counts_never_hide_others() -> None:
    """A drill computes ``seen - expected``; fewer than expected is not a negative duplicate."""
    tally = Tally()
    tally.duplicated(Family.REDIS_RESTART, -1)
    tally.duplicated(Family.REDIS_RESTART, 1)
    assert tally.counts[Family.REDIS_RESTART].duplicated == 1


def test_the_table_shows_the_slowest_recovery_per_family_and_the_seed_that_repeats_the_trials() -> None:
    """Recoveries keep the slowest per family (a dash where none was timed); the seed is the last line."""
    tally = Tally()
    tally.seed = 4242
    tally.tried(Family.DRAIN_KILL, 2)
    tally.recovered(Family.DRAIN_KILL, 3.25)
    tally.recovered(Family.DRAIN_KILL, 1.0)
    tally.tried(Family.SIGNATURE, 100)
    lines = tally.table()
    assert lines[0].split("  ")[0] == "drill family"
    assert [cell.strip() for cell in lines[0].split("  ")[1:] if cell.strip()] == [
        "trials",
        "lost",
        "duplicated",
        "slowest recovery (s)",
    ]
    rows = {line.split("  ")[0]: line.split()[-4:] for line in lines}
    assert rows[Family.DRAIN_KILL.value] == ["2", "0", "0", "3.2"]
    assert rows[Family.SIGNATURE.value] == ["100", "0", "0", "-"]
    assert rows["total"] == ["102", "0", "0", "3.2"]
    assert lines[-1] == "seed: 4242"


def test_a_drilled_family_short_of_its_minimum_is_named_and_an_undrilled_one_only_shows_zeros() -> None:
    """At volume every drilled family needs 20 trials, signatures 100 and fuzzing 10,000."""
    tally = Tally()
    tally.tried(Family.DRAIN_KILL, 20)
    tally.tried(Family.SIGNATURE, 99)
    tally.tried(Family.PARSER_FUZZ, 10_000)
    tally.tried(Family.SLACK_429, 3)
    assert tally.short_of_minimum() == [
        f"{Family.SLACK_429.value}: 3 of 20",
        f"{Family.SIGNATURE.value}: 99 of 100",
    ]


def test_only_names_a_family_by_its_name_in_any_spelling_and_refuses_an_unknown_one() -> None:
    """``--only drain-kill``, ``--only DRAIN_KILL``: the same family; a typo lists the choices."""
    assert family_named("drain-kill") is family_named("DRAIN_KILL") is Family.DRAIN_KILL
    with pytest.raises(pytest.UsageError, match="choose one of: drain-kill, upgrade-kill"):
        family_named("drain-kil")


def test_the_same_seed_and_trial_draw_the_same_fault_points_and_another_trial_draws_others(
    pytestconfig: pytest.Config,
) -> None:
    """What ``--seed N`` relies on: a trial's random source depends only on the seed and the trial's id."""
    first = [seeded(pytestconfig, "drill.py::test[trial-1]").random() for _ in range(2)]
    assert first[0] == first[1]
    assert seeded(pytestconfig, "drill.py::test[trial-2]").random() != first[0]


def test_a_tally_handed_over_as_json_adds_to_another_as_if_counted_there() -> None:
    """What a worker process of ``pytest -n`` hands its controller: counts add, the slowest stays slowest."""
    worker = Tally()
    worker.tried(Family.DRAIN_KILL, 3)
    worker.lost(Family.DRAIN_KILL, 1)
    worker.recovered(Family.DRAIN_KILL, 4.5)
    worker.duplicated(Family.SLACK_429, 2)
    controller = Tally()
    controller.tried(Family.DRAIN_KILL, 2)
    controller.recovered(Family.DRAIN_KILL, 2.0)
    controller.add(json.loads(json.dumps(worker.as_json())))
    drain = controller.counts[Family.DRAIN_KILL]
    assert (drain.tried, drain.lost, drain.duplicated, drain.slowest) == (5, 1, 0, 4.5)
    assert controller.counts[Family.SLACK_429].duplicated == 2
    assert controller.counts[Family.SIGNATURE].slowest is None


SPREAD_DRILL = """
import pathlib, pytest
from tests.support.drill_trials import session_seed
from tests.support.drills import Family

@pytest.mark.drill(Family.SLACK_429, trials=6, quick=1)
def test_spread(request, trial, chance, drill):
    drill.tried(Family.SLACK_429)
    drill.recovered(Family.SLACK_429, float(trial))
    drill.duplicated(Family.SLACK_429, 1 if trial == 6 else 0)
    seen = pathlib.Path(request.config.rootpath, "seen", str(trial))
    seen.parent.mkdir(exist_ok=True)
    seen.write_text(str(session_seed(request.config)))
"""


def test_trials_spread_over_worker_processes_make_one_table_drawn_from_one_seed(tmp_path: Path) -> None:
    """``pytest -n 2 --drill-summary``: six trials over two processes show as one row of six, with the
    controller's seed (drawn once, handed to both), and the duplicate of one trial fails the session."""
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["tests.support.drills", "tests.support.drill_trials"]\n'
    )
    (tmp_path / "test_spread.py").write_text(SPREAD_DRILL)
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "--drill-summary",
            "--only",
            "slack-429",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    [seed] = re.findall(r"^seed: (\d+)$", output, flags=re.MULTILINE)
    [row] = [line for line in output.splitlines() if line.startswith(Family.SLACK_429.value)]
    assert row.split()[-4:] == ["6", "0", "1", "6.0"], output
    assert {path.read_text() for path in (tmp_path / "seen").iterdir()} == {seed}
    assert "created: 2/2 workers" in output, output
    assert run.returncode == 1 and f"FAILED: {Family.SLACK_429.value}: 0 lost, 1 duplicated" in output
