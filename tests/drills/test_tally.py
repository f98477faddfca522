"""The drill tally adds up what drills report and prints one row per family, zeros included."""

from __future__ import annotations

from tests.support.drills import Family, Tally


def test_trials_losses_and_duplicates_add_up_per_family_and_in_the_total() -> None:
    """Two reports of one family are summed; a family nobody drilled still has its row of zeros."""
    tally = Tally()
    tally.tried(Family.DRAIN_KILL)
    tally.tried(Family.DRAIN_KILL, 2)
    tally.lost(Family.DRAIN_KILL, 1)
    tally.duplicated(Family.SLACK_429, 2)
    rows = {line.split("  ")[0]: line.split()[-3:] for line in tally.table()}
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
