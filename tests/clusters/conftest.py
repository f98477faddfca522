"""Fixtures for the multi-cluster tests: two simulated clusters, each with its kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesim.server import Simulator
from kubesim.testing import running_simulator


@pytest.fixture(name="clusters")
def fixture_clusters(tmp_path: Path) -> Iterator[dict[str, tuple[Simulator, Path]]]:
    """Clusters ``a`` and ``b``: two independent simulators (default scenario) and their kubeconfigs."""
    with running_simulator(speed=20.0) as a, running_simulator(speed=20.0) as b:
        yield {
            name: (sim, sim.write_kubeconfig(tmp_path / f"kubeconfig-{name}"))
            for name, sim in (("a", a), ("b", b))
        }
