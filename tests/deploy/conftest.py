"""Fixtures for deploy/ tests: the rendered overlays, and the requests every worker operation makes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesim.audit import RequestInfo
from kubesim.testing import running_simulator
from tests.deploy.manifests import OVERLAYS, VARIANTS, Obj, overlay, render, render_with
from tests.deploy.operations import run_every_operation
from tests.workers.harness import JobRunner, Outcome, settled
from workers import cluster, etcd

SPEED = 20.0


@pytest.fixture(scope="session", name="rendered")
def fixture_rendered() -> dict[str, list[Obj]]:
    """Each overlay as ``kubectl kustomize`` renders it."""
    return {name: render(overlay(name)) for name in OVERLAYS}


@pytest.fixture(scope="session", name="variants")
def fixture_variants(rendered: dict[str, list[Obj]]) -> dict[str, list[Obj]]:
    """Every variant of :data:`VARIANTS`, rendered."""
    found = dict(rendered)
    for variant in VARIANTS:
        if variant not in found:
            base, *components = variant.split("+")
            found[variant] = render_with(base, *components)
    return found


@pytest.fixture(scope="session", name="with_secret_export")
def fixture_with_secret_export() -> list[Obj]:
    """The single-cluster overlay with the opt-in ``secret-export`` component."""
    return render_with("single-cluster", "secret-export")


@pytest.fixture(scope="session", name="audited")
def fixture_audited(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[tuple[str, Outcome]], list[RequestInfo]]]:
    """Every operation's outcome, and every request kubesim recorded while they ran."""
    directory = tmp_path_factory.mktemp("least-privilege")
    with running_simulator(speed=SPEED) as sim:
        settled(sim)
        etcd.configure(etcd.EtcdSettings(backup_dir=directory / "backups"))
        runner = JobRunner(sim.write_kubeconfig(directory / "kubeconfig"))
        sim.api.audit.clear()
        try:
            outcomes = run_every_operation(sim, runner)
            yield outcomes, sim.api.audit.records()
        finally:
            cluster.configure(kubeconfig=None)
            etcd.configure(etcd.EtcdSettings())
