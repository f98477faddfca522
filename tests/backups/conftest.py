"""The cluster and store the backup tests share: the default kubesim scenario with its controllers, as the
workers' cluster, and an empty backup store in the test's directory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesim.server import Simulator
from kubesim.testing import running_simulator
from workers import cluster, etcd


@pytest.fixture(name="scenario")
def fixture_scenario(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario with its controllers running (ReplicaSets and pods exist), as the workers' cluster."""
    with running_simulator(speed=50) as simulator:
        _wait_for_pods(simulator)
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "scenario.kubeconfig"))
        etcd.configure(etcd.EtcdSettings(backup_dir=tmp_path / "store"))
        yield simulator
    cluster.configure(kubeconfig=None)
    etcd.configure(etcd.EtcdSettings())


def _wait_for_pods(simulator: Simulator) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pods, _ = simulator.store.list("pods", None)
        if any(pod["metadata"].get("ownerReferences", [{}])[0].get("kind") == "ReplicaSet" for pod in pods):
            return
        time.sleep(0.05)
    raise AssertionError("the scenario's controllers made no pods")
