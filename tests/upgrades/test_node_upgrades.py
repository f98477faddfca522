"""upgrade nodes against kubesim: one node at a time, all at once, surge, dry runs and refusals."""

from __future__ import annotations

from pathlib import Path

from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.upgrades.cluster import CapacityWatch, NodeState, node_state, pods_on, runner_for, workload_pods
from tests.workers.harness import non_daemon_pods


def _index(texts: list[str], fragment: str) -> int:
    return next(i for i, text in enumerate(texts) if fragment in text)


def test_one_at_a_time_drains_upgrades_and_uncordons_each_node_while_pods_move_and_come_back(
    sim: Simulator, tmp_path: Path
) -> None:
    """node-2 then node-3 are drained, upgraded, Ready and uncordoned in turn; node-1 is skipped; pods move back."""
    before, existing = pods_on(sim, "node-3"), set(workload_pods(sim))
    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes", version="v1.31", force=True, delete_emptydir_data=True
    )

    assert outcome.status == "finished", outcome.texts()
    for name in ("node-1", "node-2", "node-3"):
        state = node_state(sim, name)
        assert (state.kubelet, state.cordoned, state.checkpoint, state.in_maintenance) == (
            "v1.31.4", False, None, False
        )  # fmt: skip
    assert outcome.result["skipped"] == ["node-1"]
    texts = outcome.texts()
    for name in ("node-2", "node-3"):
        steps = [
            f"`{name}`: draining",
            f"`{name}`: upgrading the kubelet",
            f"`{name}` is Ready",
            f"node/{name} uncordoned",
        ]
        assert [_index(texts, step) for step in steps] == sorted(_index(texts, step) for step in steps)
    assert _index(texts, "node/node-2 uncordoned") < _index(texts, "`node-3`: draining")
    node2, node3 = outcome.result["upgraded"]
    assert node2["back"] == ["default/cache-0"], "the StatefulSet pod pinned to node-2 returns to it"
    assert set(node3["moved"]) >= {key for key in before if key.startswith(("default/web", "default/api"))}
    arrived = pods_on(sim, "node-2") - existing - {"default/cache-0"}
    assert arrived, "node-2 was cordoned from its drain to its uncordon: pods new on it came back afterwards"
    assert all(not key.startswith("default/debug-shell") for key in workload_pods(sim))


def test_pods_that_need_drain_flags_refuse_the_upgrade_before_any_node_is_touched(
    sim: Simulator, tmp_path: Path
) -> None:
    """Without --force and --delete-emptydir-data, the bare debug pod and the emptyDir pod on node-2 stop it all."""
    pods = workload_pods(sim)
    outcome = runner_for(sim, tmp_path).run("upgrade_nodes", version="v1.31.4")

    assert outcome.status == "failed"
    failure = outcome.final.text
    assert "Refused before touching any node" in failure
    assert "`default/debug-shell`" in failure and "`default/cache-0`" in failure
    assert "--force" in failure and "--delete-emptydir-data" in failure
    assert [node_state(sim, n).kubelet for n in ("node-2", "node-3")] == ["v1.30.6", "v1.28.9"]
    assert not any(node_state(sim, n).cordoned for n in ("node-1", "node-2", "node-3"))
    assert workload_pods(sim) == pods


def test_a_kubelet_version_newer_than_the_control_plane_is_refused(sim: Simulator, tmp_path: Path) -> None:
    """Kubelets never get ahead of kube-apiserver: v1.32 under a v1.31.4 control plane is refused."""
    outcome = runner_for(sim, tmp_path).run("upgrade_nodes", version="v1.32", nodes=["node-3"])

    assert outcome.status == "failed"
    assert "newer than the control plane" in outcome.final.text
    assert "upgrade control-plane v1.32" in outcome.final.text
    assert node_state(sim, "node-3").kubelet == "v1.28.9"


def test_a_dry_run_shows_each_node_and_changes_nothing(sim: Simulator, tmp_path: Path) -> None:
    """The plan names the nodes to upgrade and the skipped one; no node is cordoned, no pod moves."""
    pods = workload_pods(sim)
    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes", version="v1.31.4", nodes=["node-1", "node-3"], dry_run=True
    )

    assert outcome.status == "finished"
    plan = outcome.texts(EventKind.PLAN)[0]
    assert "`node-3` `v1.28.9` → `v1.31.4`" in plan and "`node-1` already at `v1.31.4`: skipped" in plan
    assert node_state(sim, "node-3") == NodeState("v1.28.9", False, None, False)
    assert workload_pods(sim) == pods


def test_all_at_once_warns_of_downtime_cordons_everything_then_uncordons_everything(
    sim: Simulator, tmp_path: Path
) -> None:
    """Every node is cordoned before any kubelet is upgraded, and none is uncordoned before all are Ready."""
    pods = workload_pods(sim)
    outcome = runner_for(sim, tmp_path).run("upgrade_nodes", version="v1.31.4", strategy="all-at-once")

    assert outcome.status == "finished", outcome.texts()
    assert "expect downtime" in outcome.texts(EventKind.WARNING)[0]
    texts = outcome.texts()
    last_cordon = max(_index(texts, "node/node-2 cordoned"), _index(texts, "node/node-3 cordoned"))
    first_upgrade = min(_index(texts, "`node-2`: upgrading"), _index(texts, "`node-3`: upgrading"))
    last_ready = max(_index(texts, "`node-2` is Ready"), _index(texts, "`node-3` is Ready"))
    first_uncordon = min(_index(texts, "node/node-2 uncordoned"), _index(texts, "node/node-3 uncordoned"))
    assert last_cordon < first_upgrade and last_ready < first_uncordon
    assert [node_state(sim, n).kubelet for n in ("node-2", "node-3")] == ["v1.31.4", "v1.31.4"]
    assert not any(node_state(sim, n).cordoned for n in ("node-2", "node-3"))
    assert workload_pods(sim) == pods, "nothing is drained: pods stay where they are"


def test_surge_adds_a_node_at_the_new_version_moves_the_workloads_and_retires_the_old_node(
    sim: Simulator, tmp_path: Path
) -> None:
    """node-3 is replaced by node-3-v1-31 at v1.31.4, its pods move over, and usable capacity never drops."""
    leaving = set(non_daemon_pods(sim, "node-3"))
    watch = CapacityWatch(sim)
    try:
        outcome = runner_for(sim, tmp_path).run(
            "upgrade_nodes", version="v1.31.4", strategy="surge", nodes=["node-3"]
        )
    finally:
        watch.stop()

    assert outcome.status == "finished", outcome.texts()
    assert sim.store.find("nodes", None, "node-3") is None
    assert node_state(sim, "node-3-v1-31") == NodeState("v1.31.4", False, None, False)
    assert min(watch.counts) == watch.counts[0] == 3 and max(watch.counts) == 4
    assert set(outcome.result["upgraded"][0]["moved"]) == leaving
    assert not leaving & set(workload_pods(sim)), "every pod on node-3 was replaced elsewhere"
    texts = outcome.texts()
    assert _index(texts, "`node-3-v1-31` is Ready") < _index(texts, "node/node-3 cordoned")


def test_a_node_cordoned_before_the_upgrade_stays_cordoned_after_it(sim: Simulator, tmp_path: Path) -> None:
    """The upgrade restores what it found: an operator's cordon on node-3 outlives the upgrade."""
    runner = runner_for(sim, tmp_path)
    assert runner.run("cordon", node="node-3").status == "finished"

    outcome = runner.run("upgrade_nodes", version="v1.31.4", nodes=["node-3"])

    assert outcome.status == "finished", outcome.texts()
    assert node_state(sim, "node-3") == NodeState("v1.31.4", True, None, False)
    assert any("left cordoned, as it was before the upgrade" in text for text in outcome.texts())


def test_a_node_in_maintenance_elsewhere_holds_the_only_maintenance_slot(
    sim: Simulator, tmp_path: Path
) -> None:
    """With node-1 in maintenance, the cluster limit (one node at a time) stops the upgrade before node-3 drains."""
    runner = runner_for(sim, tmp_path)
    assert runner.run("maintain", node="node-1").status == "finished"

    outcome = runner.run("upgrade_nodes", version="v1.31.4", nodes=["node-3"])

    assert outcome.status == "failed"
    assert "already in maintenance (limit 1" in outcome.final.text
    assert node_state(sim, "node-3").kubelet == "v1.28.9" and not node_state(sim, "node-3").cordoned
