"""Drills at volume: how many trials a drill runs, the seed its random fault points come from, one family alone.

A drill declares its family and its trial counts, and takes ``trial`` (the trial's number) and ``chance``
(a ``random.Random`` seeded from the session's seed and the trial's test id)::

    @pytest.mark.drill(Family.DRAIN_KILL, trials=20, quick=2)
    def test_a_drain_killed_anywhere(trial: int, chance: random.Random, drill: Tally) -> None:
        kill_after = chance.uniform(0.0, 1.0) * whole_drain_seconds

``make reliability`` (``--drill-summary``) runs ``trials`` of each; ``make test`` runs ``quick``. A drill
that loops inside one test (fuzzing, forged requests) asks :func:`trial_count` for its number instead.
The seed is printed at the start and with the table; ``--seed N --only FAMILY`` runs the same trials of
one family again, drawing the same fault points.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

import pytest

from tests.support.drills import ENABLED_OPTION, TALLY_KEY, Family

SEED_OPTION = "--seed"
ONLY_OPTION = "--only"
MARKER = "drill"

SEED_KEY = pytest.StashKey[int]()


def family_named(name: str) -> Family:
    """The family ``name`` designates: its enum name in any case, ``-`` or ``_`` between words."""
    wanted = name.strip().upper().replace("-", "_")
    for family in Family:
        if family.name == wanted:
            return family
    choices = ", ".join(family.name.lower().replace("_", "-") for family in Family)
    raise pytest.UsageError(f"{ONLY_OPTION} {name!r} is no drill family; choose one of: {choices}")


def at_volume(config: pytest.Config) -> bool:
    """True in ``make reliability`` (``--drill-summary``): drills run their full number of trials."""
    return bool(config.getoption(ENABLED_OPTION))


def trial_count(config: pytest.Config, *, trials: int, quick: int) -> int:
    """``trials`` at volume, ``quick`` otherwise."""
    return trials if at_volume(config) else quick


def session_seed(config: pytest.Config) -> int:
    """The seed every drill of this session draws its fault points from."""
    return config.stash[SEED_KEY]


def seeded(config: pytest.Config, test_id: str) -> random.Random:
    """The random source of one trial: the same seed and test id draw the same numbers."""
    return random.Random(f"{session_seed(config)}:{test_id}")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--seed N`` and ``--only FAMILY``."""
    parser.addoption(
        SEED_OPTION,
        type=int,
        default=None,
        help="the seed drills draw their random fault points from (printed with the drill table)",
    )
    parser.addoption(
        ONLY_OPTION,
        default=None,
        metavar="FAMILY",
        help="run only the drills of one family, e.g. drain-kill (see the drill table)",
    )


WORKER_INPUT = "drill_seed"
"""Where the controller of ``pytest -n`` (pytest-xdist) hands its seed to each worker process."""


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """The session's seed, from ``--seed``, from the controlling process (``pytest -n``) or drawn now;
    the ``drill`` marker."""
    given = config.getoption(SEED_OPTION)
    if given is None:
        given = getattr(config, "workerinput", {}).get(WORKER_INPUT)
    config.stash[SEED_KEY] = given if given is not None else secrets.randbelow(10**6)
    config.stash[TALLY_KEY].seed = config.stash[SEED_KEY]
    config.addinivalue_line(
        "markers", f"{MARKER}(family, trials=20, quick=1): a fault drill of one family, run as many times"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """In the controller of ``pytest -n``: every worker process draws from the controller's seed."""
    node.workerinput[WORKER_INPUT] = session_seed(node.config)


def pytest_report_header(config: pytest.Config) -> str:
    """The seed, first thing, so that even an interrupted run can be repeated."""
    return f"drill seed: {session_seed(config)} (repeat with {SEED_OPTION} {session_seed(config)})"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A drill taking ``trial`` runs once per trial, as many trials as its marker asks for."""
    if "trial" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid} takes `trial` without a @pytest.mark.drill")
    count = trial_count(
        metafunc.config, trials=marker.kwargs.get("trials", 20), quick=marker.kwargs.get("quick", 1)
    )
    metafunc.parametrize("trial", range(1, count + 1), ids=[f"trial-{n}" for n in range(1, count + 1)])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--only FAMILY`` keeps the drills of that family and deselects everything else."""
    name = config.getoption(ONLY_OPTION)
    if name is None:
        return
    family = family_named(name)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker(MARKER)
        (kept if marker is not None and family in marker.args else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@pytest.fixture(name="chance")
def fixture_chance(request: pytest.FixtureRequest) -> random.Random:
    """This trial's random source: fault points drawn from it repeat with the same ``--seed``."""
    return seeded(request.config, request.node.nodeid)
