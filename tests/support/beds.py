"""The two test beds behind one fixture parameter: kubesim, and a real control plane built from the
Kubernetes Go modules with KWOK's kubelets (controlplane/).

A test that takes the ``bed`` fixture runs once per selected bed, against a fresh cluster loaded with
the default scenario, and sees it only through the API, as the workers and kubectl do::

    def test_cordon(bed: Bed) -> None: ...

``pytest --bed kubesim`` (the default, what ``make test`` runs), ``--bed control-plane`` (what
``make test-cluster`` runs) or ``--bed both``. Tests marked ``control_plane`` (of the control plane
itself) run only when the control plane is among the beds. On the control plane the workers' kubeconfig is deploy/'s
chatops-worker ServiceAccount, so the real RBAC authorizer judges every call they make.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, dynamic

from controlplane.build import Binaries, ensure_built
from controlplane.cluster import ControlPlane
from controlplane.settling import settled as wait_settled
from kubesim.testing import running_simulator
from tests.workers.harness import settled

OPTION = "--bed"
KUBESIM = "kubesim"
CONTROL_PLANE = "control-plane"
CHOICES = {KUBESIM: (KUBESIM,), CONTROL_PLANE: (CONTROL_PLANE,), "both": (KUBESIM, CONTROL_PLANE)}
MARKER = "control_plane"
KUBESIM_SPEED = 20.0
"""kubesim's simulated seconds per real second (the real control plane runs in real time)."""


@dataclasses.dataclass(frozen=True)
class Bed:
    """One running cluster as a test sees it."""

    name: str
    admin_kubeconfig: Path
    worker_kubeconfig: Path
    audit_log: Path | None
    """The API server's audit log (the real control plane only)."""
    forget_watch_history: Callable[[], None]
    """Make every resourceVersion so far too old to watch from (410 Gone), as a compaction or an API
    server restart does: kubesim forgets its watch history, the real control plane restarts
    kube-apiserver (whose new watch cache starts at etcd's current revision)."""
    control_plane: ControlPlane | None = None
    """The processes behind it, for drills that crash one (the real control plane only)."""

    @property
    def api_client(self) -> client.ApiClient:
        api_client: client.ApiClient = config.new_client_from_config(config_file=str(self.admin_kubeconfig))
        return api_client

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api_client)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api_client)

    @property
    def policy(self) -> client.PolicyV1Api:
        return client.PolicyV1Api(self.api_client)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        choices=sorted(CHOICES),
        default=KUBESIM,
        help="test bed(s) for the tests that take the `bed` fixture (default kubesim)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: runs only when --bed names the real control plane")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of the control plane itself are deselected (counted, not skipped) when no run asks for it."""
    if CONTROL_PLANE in CHOICES[config.getoption(OPTION)]:
        return
    kept = [item for item in items if item.get_closest_marker(MARKER) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bed" in metafunc.fixturenames:
        names = CHOICES[metafunc.config.getoption(OPTION)]
        if metafunc.definition.get_closest_marker(MARKER) is not None:
            names = tuple(name for name in names if name == CONTROL_PLANE)  # the real server's checks only
        metafunc.parametrize("bed", names, indirect=True, ids=names)


@pytest.fixture(scope="session", name="control_plane_binaries")
def fixture_control_plane_binaries() -> Binaries:
    """kube-apiserver, kube-controller-manager, kube-scheduler and KWOK, built once (or reused)."""
    return ensure_built()


@pytest.fixture(name="bed_scenario")
def fixture_bed_scenario() -> str | Path:
    """The scenario every bed of a test starts from; a test module overrides it with its own fixture."""
    return "default"


@pytest.fixture(name="bed_server_version")
def fixture_bed_server_version() -> str:
    """The version kubesim reports (the real control plane reports the one it is built from)."""
    return "v1.31.4"


@pytest.fixture(name="bed")
def fixture_bed(
    request: pytest.FixtureRequest, tmp_path: Path, bed_scenario: str | Path, bed_server_version: str
) -> Iterator[Bed]:
    """A fresh cluster with the scenario, settled, on the bed this run of the test is for."""
    if request.param == KUBESIM:
        with running_simulator(
            scenario=bed_scenario, server_version=bed_server_version, speed=KUBESIM_SPEED
        ) as simulator:
            kubeconfig = simulator.write_kubeconfig(tmp_path / "kubesim.kubeconfig")
            if bed_scenario == "default":
                settled(simulator)
            else:
                wait_settled(
                    dynamic.DynamicClient(config.new_client_from_config(config_file=str(kubeconfig)))
                )
            yield Bed(
                KUBESIM, kubeconfig, kubeconfig, audit_log=None, forget_watch_history=simulator.store.compact
            )
        return
    plane = ControlPlane(request.getfixturevalue("control_plane_binaries"), scenario=bed_scenario)
    plane.start()
    try:
        yield Bed(
            CONTROL_PLANE,
            plane.write_kubeconfig(tmp_path / "admin.kubeconfig"),
            plane.worker_kubeconfig(tmp_path / "worker.kubeconfig"),
            audit_log=plane.audit_log,
            forget_watch_history=plane.restart_apiserver,
            control_plane=plane,
        )
    finally:
        plane.stop()
