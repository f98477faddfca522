"""The drill tally adds up what drills report and prints one row per family, zeros included; seeds repeat trials."""

from __future__ import annotations

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
