"""Fixtures for worker tests: a fresh simulated cluster per test, and a runner that works jobs through RQ."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesim.server import Simulator
from kubesim.testing import running_simulator
from tests.workers.harness import JobRunner, settled

SPEED = 20.0
"""Simulated seconds per real second: controllers, kubelets and deadlines run this much faster."""


@pytest.fixture(name="sim")
def fixture_sim() -> Iterator[Simulator]:
    """The default scenario, running fast."""
    with running_simulator(speed=SPEED) as simulator:
        yield settled(simulator)


@pytest.fixture(name="kubeconfig")
def fixture_kubeconfig(sim: Simulator, tmp_path: Path) -> Path:
    """A kubeconfig pointing at the simulator."""
    return sim.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture(name="runner")
def fixture_runner(kubeconfig: Path) -> JobRunner:
    """Runs jobs by dotted path on a fakeredis queue with a SimpleWorker, against the simulator."""
    return JobRunner(kubeconfig)
