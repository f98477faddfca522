"""upgrade control-plane against kubesim: the order of components, refusals, dry runs and resuming."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesim.faults import RequestFault
from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.upgrades.cluster import runner_for, workload_pods


def _image(simulator: Simulator, pod: str) -> str:
    image: str = simulator.store.get("pods", "kube-system", pod)["spec"]["containers"][0]["image"]
    return image


def test_the_control_plane_goes_apiserver_first_then_controller_manager_then_scheduler(
    aligned: Simulator, tmp_path: Path
) -> None:
    """Each component reaches v1.32.0 in the upgrade order, /version follows, etcd and workloads are untouched."""
    pods = workload_pods(aligned)
    outcome = runner_for(aligned, tmp_path).run("upgrade_control_plane", version="v1.32")

    assert outcome.status == "finished", outcome.texts()
    texts = outcome.texts(EventKind.PROGRESS)
    done = [
        next(i for i, t in enumerate(texts) if t.startswith(f"{component} on `cp-1` now runs `v1.32.0`"))
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    ]
    assert done == sorted(done)
    assert "The API server now reports `v1.32.0`." in texts
    assert any("etcd is not touched" in t for t in texts)
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert _image(aligned, f"{component}-cp-1") == f"registry.k8s.io/{component}:v1.32.0"
    assert _image(aligned, "etcd-cp-1") == "registry.k8s.io/etcd:3.5.15-0"
    assert outcome.result["version"] == "v1.32.0"
    assert workload_pods(aligned) == pods, "workloads keep running: no pod outside kube-system changed"


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("v1.33", "skips a minor version"),
        ("v1.30", "downgrades are not supported"),
        ("v1.31", "already at `v1.31.4`"),
    ],
)
def test_a_skipped_minor_a_downgrade_or_no_change_is_refused(
    aligned: Simulator, tmp_path: Path, version: str, reason: str
) -> None:
    """Only one minor up (or a newer patch) is accepted; nothing changes otherwise."""
    outcome = runner_for(aligned, tmp_path).run("upgrade_control_plane", version=version)

    assert outcome.status == "failed"
    assert reason in outcome.final.text
    assert _image(aligned, "kube-apiserver-cp-1") == "registry.k8s.io/kube-apiserver:v1.31.4"


def test_kubelets_too_old_for_the_new_control_plane_must_be_upgraded_first(
    sim: Simulator, tmp_path: Path
) -> None:
    """node-3's v1.28 kubelet would be four minors behind v1.32: refused, naming node-3 and the command to run."""
    outcome = runner_for(sim, tmp_path).run("upgrade_control_plane", version="v1.32")

    assert outcome.status == "failed"
    assert "`node-3`" in outcome.final.text and "`node-2`" not in outcome.final.text
    assert "upgrade nodes v1.31.4 --nodes node-3" in outcome.final.text
    assert _image(sim, "kube-apiserver-cp-1") == "registry.k8s.io/kube-apiserver:v1.31.4"


def test_a_dry_run_shows_the_steps_in_order_and_changes_nothing(aligned: Simulator, tmp_path: Path) -> None:
    """The plan lists apiserver, controller-manager, scheduler in that order; /version stays v1.31.4."""
    outcome = runner_for(aligned, tmp_path).run("upgrade_control_plane", version="v1.32", dry_run=True)

    assert outcome.status == "finished"
    plan = outcome.texts(EventKind.PLAN)[0]
    assert (
        plan.index("1. kube-apiserver")
        < plan.index("2. kube-controller-manager")
        < plan.index("3. kube-scheduler")
    )
    assert "etcd is not touched" in plan
    assert aligned.api.server_version == "v1.31.4"
    assert _image(aligned, "kube-scheduler-cp-1") == "registry.k8s.io/kube-scheduler:v1.31.4"


def test_a_control_plane_upgrade_that_stopped_midway_resumes_without_redoing_the_apiserver(
    aligned: Simulator, tmp_path: Path
) -> None:
    """A failure on the controller-manager leaves the apiserver at v1.32.0; the re-run skips it and finishes."""
    aligned.faults.add_request_fault(
        RequestFault(action=500, method="PATCH", path="/pods/kube-controller-manager-cp-1$", times=1)
    )
    runner = runner_for(aligned, tmp_path)
    first = runner.run("upgrade_control_plane", version="v1.32")

    assert first.status == "failed"
    assert aligned.api.server_version == "v1.32.0"
    assert _image(aligned, "kube-controller-manager-cp-1").endswith(":v1.31.4")

    second = runner.run("upgrade_control_plane", version="v1.32")

    assert second.status == "finished", second.texts()
    assert "kube-apiserver on `cp-1` is already at `v1.32.0`; skipped." in second.texts(EventKind.PROGRESS)
    assert _image(aligned, "kube-scheduler-cp-1").endswith(":v1.32.0")
