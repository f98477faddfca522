"""Fixtures for the upgrade execution tests: a fast kubesim (default scenario) and a job runner on fakeredis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesim.server import Simulator
from kubesim.testing import running_simulator
from tests.upgrades.cluster import align_kubelets
from tests.workers.harness import settled
from workers import cluster

SPEED = 100.0
"""Simulated seconds per real second: pod readiness and grace periods pass in a blink."""


@pytest.fixture(name="sim")
def fixture_sim() -> Iterator[Simulator]:
    """The default scenario, settled: control plane v1.31.4, kubelets v1.31.4, v1.30.6, v1.28.9."""
    with running_simulator(speed=SPEED) as simulator:
        yield settled(simulator)
    cluster.configure(kubeconfig=None)


@pytest.fixture(name="aligned")
def fixture_aligned() -> Iterator[Simulator]:
    """The default scenario with every kubelet at v1.31.4 from the start (ready for a v1.32 control plane)."""
    with running_simulator(speed=SPEED, controllers=False) as simulator:
        align_kubelets(simulator, "v1.31.4")
        simulator.controllers.start()
        yield settled(simulator)
    cluster.configure(kubeconfig=None)
