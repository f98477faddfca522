"""upgrade plan against kubesim: within skew, kubelets too old for the next minor, and a skipped minor."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.server import Simulator
from kubesim.testing import running_simulator
from shared.jobevents import EventKind
from tests.backups.running import run_job
from workers import cluster


def _use(simulator: Simulator, tmp_path: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(simulator.store.list("pods", None)[0]) < 12:
        time.sleep(0.05)
    cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))


@pytest.fixture(name="default_cluster")
def fixture_default_cluster(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario: control plane v1.31.4, kubelets v1.31.4, v1.30.6 and v1.28.9."""
    with running_simulator(speed=50) as simulator:
        _use(simulator, tmp_path)
        yield simulator
    cluster.configure(kubeconfig=None)


@pytest.fixture(name="aligned_cluster")
def fixture_aligned_cluster(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario with every kubelet brought to v1.31.4 before it starts."""
    with running_simulator(speed=50, controllers=False) as simulator:
        for name in ("node-2", "node-3"):
            simulator.store.mutate("nodes", None, name, _kubelet_at("v1.31.4"), subresource="status")
        simulator.controllers.start()
        _use(simulator, tmp_path)
        yield simulator
    cluster.configure(kubeconfig=None)


def _kubelet_at(version: str) -> Callable[[dict[str, Any]], None]:
    def change(node: dict[str, Any]) -> None:
        node.setdefault("status", {}).setdefault("nodeInfo", {})["kubeletVersion"] = version

    return change


def test_a_cluster_within_skew_gets_a_plan_one_minor_up_with_capacity_per_strategy(
    aligned_cluster: Simulator,
) -> None:
    """With every kubelet at v1.31.4, the plan targets v1.32, finds no violation and no node too old."""
    outcome = run_job("upgrade_plan", job_id="job-plan1")

    assert outcome.succeeded, outcome.failure
    plan = outcome.result["plan"]
    assert (plan["current"], plan["target"], plan["rule"]) == ("v1.31.4", "v1.32", "n-3")
    assert plan["violations"] == [] and plan["too_old_nodes"] == []
    assert plan["nodes_to_upgrade"] == ["node-1", "node-2", "node-3"]
    one, together, surge = (plan["capacity"][s] for s in ("one-at-a-time", "all-at-once", "surge"))
    assert [step["out"] for step in one] == [["node-1"], ["node-2"], ["node-3"]]
    assert all(step["fits"] and step["nodes_left"] == 2 for step in one)
    assert together[0]["nodes_left"] == 0 and not together[0]["fits"]
    assert together[0]["budgets_waiting"] == ["default/web-pdb"]
    assert all(step["added"] == 3 and step["nodes_left"] == 5 for step in surge)
    text = outcome.texts(EventKind.PLAN)[0]
    assert "n-3 rule (KEP-3935) applies" in text
    assert (
        text.index("1. kube-apiserver")
        < text.index("2. kube-controller-manager")
        < text.index("3. worker kubelets")
    )
    assert outcome.texts(EventKind.WARNING) == []


def test_the_default_cluster_has_a_kubelet_too_old_to_stay_through_1_32(default_cluster: Simulator) -> None:
    """node-3's v1.28 kubelet may stay under a v1.31 control plane but blocks v1.32: the plan says upgrade it first."""
    outcome = run_job("upgrade_plan", job_id="job-plan2", version="v1.32")

    assert outcome.succeeded, outcome.failure
    plan = outcome.result["plan"]
    assert plan["violations"] == []
    assert plan["too_old_nodes"] == ["node-3"]
    assert {"component": "kubelet", "where": "node-3", "version": "v1.28.9"} in plan["too_old"]
    assert "0. Upgrade the nodes too old to stay (`node-3`)" in outcome.texts(EventKind.PLAN)[0]
    assert outcome.texts(EventKind.WARNING) and "`node-3`" in outcome.texts(EventKind.WARNING)[0]


def test_a_plan_that_skips_a_minor_version_is_refused(default_cluster: Simulator) -> None:
    """upgrade plan v1.33 from v1.31 fails and names the minors to go through."""
    outcome = run_job("upgrade_plan", job_id="job-plan3", version="v1.33")

    assert not outcome.succeeded
    assert "skips a minor version" in outcome.failure
    assert "`v1.32` → `v1.33`" in outcome.failure


def test_a_classic_rule_cluster_flags_a_kubelet_three_behind(tmp_path: Path) -> None:
    """Under a v1.27 control plane the classic n-2 rule applies: the 1.24 kubelet is a violation today."""
    scenario = """
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {nodeInfo: {kubeletVersion: v1.24.17}}
"""
    with running_simulator(scenario=scenario, server_version="v1.27.16", speed=50) as simulator:
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        outcome = run_job("upgrade_plan", job_id="job-plan4")
    cluster.configure(kubeconfig=None)

    plan = outcome.result["plan"]
    assert (plan["rule"], plan["rule_after"], plan["target"]) == ("classic", "n-3", "v1.28")
    assert [(x["component"], x["where"]) for x in plan["violations"]] == [("kubelet", "node-1")]
    assert "classic rule applies" in outcome.texts(EventKind.PLAN)[0]
