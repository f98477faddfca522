"""Change windows: weekly ranges in a time zone, read from the policy, checked at load, and when work starts."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.policy import decide
from bot.core.policy_file import PolicyError, load_policy
from shared.errors import UsageError
from shared.start_flags import split_start
from shared.windows import WindowError, local_time, next_opening, opening_at, parse_window, start_time

BERLIN_NIGHT = "sat 22:00-sun 04:00 Europe/Berlin"
TUESDAY = dt.datetime(2023, 11, 14, 22, 13, tzinfo=dt.UTC).timestamp()
OPENS = dt.datetime(2023, 11, 18, 21, 0, tzinfo=dt.UTC).timestamp()


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    """A UTC moment."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp()


def test_a_window_opens_and_closes_at_its_local_times() -> None:
    """Saturday 22:00 to Sunday 04:00 in Berlin is 21:00 to 03:00 UTC in winter."""
    window = parse_window("sat-night", BERLIN_NIGHT)
    assert opening_at(window, TUESDAY) is None
    opening = next_opening(window, TUESDAY)
    assert (opening.start, opening.end) == (OPENS, at(2023, 11, 19, 3, 0))
    assert opening_at(window, at(2023, 11, 19, 2, 59)) == opening
    assert opening_at(window, at(2023, 11, 19, 3, 0)) is None
    assert local_time(window, OPENS) == "Sat 18 Nov 22:00 CET"


def test_a_window_keeps_its_local_hours_across_summer_time() -> None:
    """In July the same window opens at 20:00 UTC (22:00 CEST)."""
    window = parse_window("sat-night", BERLIN_NIGHT)
    assert next_opening(window, at(2024, 7, 1, 12, 0)).start == at(2024, 7, 6, 20, 0)


def test_a_window_of_several_ranges_and_one_across_the_end_of_the_week() -> None:
    """``sun 22:00-mon 02:00, wed 01:00-03:00 UTC``: Sunday night wraps into Monday."""
    window = parse_window("nights", "sun 22:00-mon 02:00, wed 01:00-03:00 UTC")
    assert opening_at(window, at(2023, 11, 13, 1, 0)) is not None  # a Monday, 01:00
    assert next_opening(window, TUESDAY).start == at(2023, 11, 15, 1, 0)
    assert start_time(window, wanted=at(2023, 11, 15, 2, 0)) == at(2023, 11, 15, 2, 0)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("sat 22:00-sun 04:00", "ends with no time zone"),
        ("sat 22:00-sun 04:00 Mars/Olympus", "'Mars/Olympus' is not a time zone"),
        ("sat 22:00-sat 22:00 UTC", "starts and ends at the same time"),
        ("fry 22:00-sat 01:00 UTC", "'fry' in 'fry 22:00-sat 01:00' is not a day"),
        ("sat 25:00-sun 01:00 UTC", "'25:00' in 'sat 25:00-sun 01:00' is not a time of day"),
        ("saturday night UTC", "'saturday night' is not a range"),
    ],
)
def test_a_window_that_cannot_be_read_says_what_is_wrong_and_how_to_write_one(
    spec: str, problem: str
) -> None:
    """Each mistake is named, with the form a window takes."""
    with pytest.raises(WindowError) as raised:
        parse_window("w", spec)
    assert problem in str(raised.value)
    assert "write a window like 'sat 22:00-sun 04:00 Europe/Berlin'" in str(raised.value)


POLICY = f"""
groups: {{oncall: [U_ALICE]}}
windows:
  sat-night: {BERLIN_NIGHT}
rules:
  - commands: [nodes]
    allow: ["*"]
  - commands: [drain]
    allow: [oncall]
    clusters: [prod]
    window: sat-night
  - commands: [drain, cordon]
    allow: [oncall]
"""


def test_a_rule_window_binds_its_changing_commands_on_its_clusters_only() -> None:
    """drain on prod has the window; drain elsewhere and read-only commands do not."""
    policy = load_policy(POLICY)

    def window_of(command: str, cluster: str) -> str | None:
        decision = decide(
            policy, user="U_ALICE", command=command, channel="C1", namespace=None, cluster=cluster
        )
        return decision.window.name if decision.window else None

    assert window_of("drain", "prod") == "sat-night"
    assert window_of("drain", "staging") is None
    assert window_of("nodes", "prod") is None


def test_a_policy_with_a_bad_window_or_an_unknown_window_name_is_refused_at_load() -> None:
    """Both problems at once, each at its path."""
    text = POLICY.replace(BERLIN_NIGHT, "sat 22:00-sun 04:00 Nowhere/Land").replace(
        "window: sat-night", "window: sunday"
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(text)
    paths = [problem.path for problem in raised.value.problems]
    assert paths == ["windows.sat-night", "rules[1].window"]
    assert "no window called 'sunday'" in raised.value.problems[1].message


def test_a_later_start_is_read_apart_from_the_command() -> None:
    """``--at sat 22:00`` takes two words, ``--in 2h`` one; the rest is the command as it runs."""
    text, start = split_start("drain node-2 --at sat 22:00 --force")
    assert text == "drain node-2 --force" and start is not None and start.at == "sat 22:00"
    text, start = split_start("cordon node-1 --in=2h")
    assert text == "cordon node-1" and start is not None and start.in_seconds == 7200
    with pytest.raises(UsageError):
        split_start("cordon node-1 --in 2h --at 22:00")
    window = parse_window("sat-night", BERLIN_NIGHT)
    _, start = split_start("drain node-2 --at 23:30")
    assert start is not None
    assert start.wanted(now=TUESDAY, window=window) == at(2023, 11, 14, 22, 30)  # 23:30 Berlin, today


def test_a_cluster_window_binds_every_change_there_and_a_rule_window_wins() -> None:
    """``clusters.live.window``: cordon on live has it; a rule's own window beats the cluster's."""
    text = POLICY.replace(
        "rules:", "clusters:\n  live: {window: weekdays}\n  prod: {window: weekdays}\nrules:"
    ).replace("windows:\n", "windows:\n  weekdays: mon 09:00-fri 17:00 UTC\n")
    policy = load_policy(text)

    def window_of(command: str, cluster: str) -> str | None:
        decision = decide(
            policy, user="U_ALICE", command=command, channel="C1", namespace=None, cluster=cluster
        )
        return decision.window.name if decision.window else None

    assert window_of("cordon", "live") == "weekdays"
    assert window_of("nodes", "live") is None
    assert window_of("cordon", "staging") is None
    assert window_of("drain", "prod") == "sat-night"
