"""Upgrades through the hooks a real cluster uses: operator commands, and waiting for an external system."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.upgrades import hook_scripts
from tests.upgrades.cluster import NodeState, node_state, runner_for
from workers import cluster, upgraders
from workers.errors import JobError
from workers.hook_settings import COMMAND_VARIABLES, HookKind, HookSettings
from workers.upgrading import CHECKPOINT
from workers.versions import parse_version

V1_31_4 = parse_version("v1.31.4")


@pytest.fixture(name="hook_env")
def fixture_hook_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A worker environment whose hook settings are the test's own (none by default)."""
    for variable in (
        "CHATOPS_UPGRADE_HOOK",
        "CHATOPS_UPGRADE_HOOK_TIMEOUT",
        "CHATOPS_UPGRADE_WAIT_TIMEOUT",
        "CHATOPS_PROVISION_NODE_SELECTOR",
        *COMMAND_VARIABLES.values(),
    ):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture(name="wait_hook")
def fixture_wait_hook(sim: Simulator, tmp_path: Path) -> Iterator[upgraders.HookUpgrader]:
    """The wait hook (nothing run, 2 s to wait) against the default scenario."""
    cluster.configure(kubeconfig=sim.write_kubeconfig(tmp_path / "kubeconfig"))
    yield upgraders.HookUpgrader(HookSettings(hook=HookKind.WAIT, wait_timeout=2.0), run_commands=False)


def _set_kubelet(sim: Simulator, node: str, version: str) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["status"]["nodeInfo"]["kubeletVersion"] = obj["status"]["nodeInfo"]["kubeProxyVersion"] = version

    sim.store.mutate("nodes", None, node, change, subresource="status")


def test_upgrade_nodes_through_the_command_hook_runs_the_command_per_node_and_waits_for_the_new_kubelet(
    sim: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """One at a time, the operator's command upgrades node-2 then node-3 (kubectl); each ends Ready and uncordoned."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    command = hook_scripts.hook_command(
        tmp_path, kubeconfig, name="node", body=hook_scripts.NODE, placeholders="{node} {version}"
    )
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")  # kubesim would otherwise use its own
    hook_env.setenv("CHATOPS_UPGRADE_NODE_COMMAND", command)
    hook_env.setenv("CHATOPS_UPGRADE_WAIT_TIMEOUT", "20")

    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes", version="v1.31", force=True, delete_emptydir_data=True
    )

    assert outcome.status == "finished", outcome.texts()
    assert hook_scripts.calls(tmp_path, "node") == ["node-2 v1.31.4", "node-3 v1.31.4"]
    for name in ("node-2", "node-3"):
        assert node_state(sim, name) == NodeState("v1.31.4", False, None, False)
    assert any("`node-3` is Ready with kubelet `v1.31.4`" in text for text in outcome.texts())


def test_a_failing_node_command_stops_the_upgrade_with_its_status_and_stderr_and_the_node_stays_cordoned(
    sim: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """Exit 3 from the hook fails the job with a readable reason; node-3 is left drained at the upgrade step."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    command = hook_scripts.hook_command(
        tmp_path, kubeconfig, name="node", body=hook_scripts.FAIL, placeholders="{node} {version}"
    )
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")  # kubesim would otherwise use its own
    hook_env.setenv("CHATOPS_UPGRADE_NODE_COMMAND", command)

    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes", version="v1.31.4", nodes=["node-3"], force=True, delete_emptydir_data=True
    )

    assert outcome.status == "failed"
    failure = outcome.final.text
    assert "upgrade-node hook for `node-3` failed" in failure and "exited with status 3" in failure
    assert "Unable to locate package kubelet=v1.31.4" in failure
    assert "Traceback" not in failure and str(kubeconfig) not in failure
    state = node_state(sim, "node-3")
    assert (state.kubelet, state.cordoned) == ("v1.28.9", True)
    assert state.checkpoint is not None and state.checkpoint["step"] == "upgrade"


def test_a_node_command_that_hangs_is_stopped_at_the_hook_timeout(
    sim: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """With a one-second limit, a hook that never returns fails the job as timed out, showing what it printed."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    command = hook_scripts.hook_command(
        tmp_path, kubeconfig, name="node", body=hook_scripts.HANG, placeholders="{node} {version}"
    )
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")  # kubesim would otherwise use its own
    hook_env.setenv("CHATOPS_UPGRADE_NODE_COMMAND", command)
    hook_env.setenv("CHATOPS_UPGRADE_HOOK_TIMEOUT", "1")

    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes", version="v1.31.4", nodes=["node-3"], force=True, delete_emptydir_data=True
    )

    assert outcome.status == "failed"
    assert "did not finish within 1 s" in outcome.final.text
    assert "waiting for the node pool" in outcome.final.text
    assert node_state(sim, "node-3").kubelet == "v1.28.9"


def test_the_wait_hook_gives_up_when_nothing_brings_the_node_to_the_version(
    wait_hook: upgraders.HookUpgrader,
) -> None:
    """No external system acts: after the wait timeout, the error says what the node still reports."""
    assert V1_31_4 is not None
    with pytest.raises(JobError) as raised:
        wait_hook.upgrade_kubelet("node-3", version=V1_31_4)

    assert "Waited 2 s for node `node-3` to reach `v1.31.4`" in str(raised.value)
    assert "kubelet `v1.28.9`, Ready" in str(raised.value)


def test_the_wait_hook_for_a_component_says_which_image_its_mirror_pod_still_runs(
    wait_hook: upgraders.HookUpgrader,
) -> None:
    """Nobody replaces the scheduler: the timeout names the component, its node and the image tag it still runs."""
    target = parse_version("v1.32.0")
    assert target is not None
    with pytest.raises(JobError) as raised:
        wait_hook.upgrade_component("kube-scheduler", pod="kube-scheduler-cp-1", node="cp-1", version=target)

    assert str(raised.value).startswith(
        "Waited 2 s for kube-scheduler on `cp-1` to reach `v1.32.0`, but it still shows: image tag `v1.31.4`."
    )


def test_the_wait_hook_returns_once_an_external_system_has_upgraded_the_node(
    sim: Simulator, wait_hook: upgraders.HookUpgrader
) -> None:
    """Another party (a thread standing in for a cloud node pool) moves node-3's kubelet; the wait sees it."""
    assert V1_31_4 is not None
    external = threading.Timer(0.6, _set_kubelet, args=(sim, "node-3", "v1.31.4"))
    external.start()
    try:
        wait_hook.upgrade_kubelet("node-3", version=V1_31_4)
    finally:
        external.join()

    assert node_state(sim, "node-3").kubelet == "v1.31.4"


def test_surge_through_command_hooks_provisions_a_new_node_and_retires_the_old_one(
    sim: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """The provision command gets the new name, its template node and the version; retire gets the old node."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")  # kubesim would otherwise use its own
    hook_env.setenv(
        "CHATOPS_PROVISION_NODE_COMMAND",
        hook_scripts.hook_command(
            tmp_path,
            kubeconfig,
            name="provision",
            body=hook_scripts.PROVISION,
            placeholders="{node} {template} {version}",
        ),
    )
    hook_env.setenv(
        "CHATOPS_RETIRE_NODE_COMMAND",
        hook_scripts.hook_command(
            tmp_path, kubeconfig, name="retire", body=hook_scripts.RETIRE, placeholders="{node}"
        ),
    )
    hook_env.setenv("CHATOPS_UPGRADE_WAIT_TIMEOUT", "20")

    outcome = runner_for(sim, tmp_path).run(
        "upgrade_nodes",
        version="v1.31.4",
        strategy="surge",
        nodes=["node-3"],
        force=True,
        delete_emptydir_data=True,
    )

    assert outcome.status == "finished", outcome.texts()
    assert hook_scripts.calls(tmp_path, "provision") == ["node-3-v1-31 node-3 v1.31.4"]
    assert hook_scripts.calls(tmp_path, "retire") == ["node-3"]
    assert sim.store.find("nodes", None, "node-3") is None
    assert node_state(sim, "node-3-v1-31") == NodeState("v1.31.4", False, None, False)


def test_the_control_plane_through_the_command_hook_then_kube_proxy_follows_and_the_plan_reports_it(
    aligned: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """Each component's command runs in order; kube-proxy's DaemonSet moves to v1.32.0 and upgrade plan sees it."""
    kubeconfig = aligned.write_kubeconfig(tmp_path / "kubeconfig")
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")  # kubesim would otherwise use its own
    hook_env.setenv(
        "CHATOPS_UPGRADE_CONTROL_PLANE_COMMAND",
        hook_scripts.hook_command(
            tmp_path,
            kubeconfig,
            name="control-plane",
            body=hook_scripts.CONTROL_PLANE,
            placeholders="{component} {pod} {node} {version}",
        ),
    )
    hook_env.setenv("CHATOPS_UPGRADE_WAIT_TIMEOUT", "20")
    runner = runner_for(aligned, tmp_path)

    outcome = runner.run("upgrade_control_plane", version="v1.32")

    assert outcome.status == "finished", outcome.texts()
    assert hook_scripts.calls(tmp_path, "control-plane") == [
        f"{component} {component}-cp-1 cp-1 v1.32.0"
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    ]
    assert aligned.api.server_version == "v1.32.0"
    daemonset = aligned.store.get("daemonsets", "kube-system", "kube-proxy")
    assert (
        daemonset["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.k8s.io/kube-proxy:v1.32.0"
    )
    assert outcome.result["kube_proxy"] == "rolled-out"
    proxies = [
        p["spec"]["containers"][0]["image"]
        for p in aligned.store.list("pods", "kube-system")[0]
        if p["metadata"].get("labels", {}).get("k8s-app") == "kube-proxy"
    ]
    assert proxies and set(proxies) == {"registry.k8s.io/kube-proxy:v1.32.0"}
    plan = runner.run("upgrade_plan")
    assert plan.status == "finished", plan.texts()
    line = next(
        line for line in plan.texts(EventKind.PLAN)[0].splitlines() if line.startswith("• kube-proxy:")
    )
    assert line.startswith("• kube-proxy: `v1.32.0` on ") and ";" not in line, "one version, everywhere"


def test_the_kubesim_upgrader_also_moves_kube_proxy_after_the_control_plane(
    aligned: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """With no hook setting, kubesim's own upgrader is chosen, and kube-proxy still follows to v1.32.0."""
    outcome = runner_for(aligned, tmp_path).run("upgrade_control_plane", version="v1.32")

    assert outcome.status == "finished", outcome.texts()
    assert any("kube-proxy DaemonSet image" in text for text in outcome.texts(EventKind.PROGRESS))
    daemonset = aligned.store.get("daemonsets", "kube-system", "kube-proxy")
    assert daemonset["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.32.0")


def test_a_control_plane_upgrade_stopped_before_kube_proxy_is_finished_by_the_same_command(
    aligned: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """Every component at v1.32.0 but kube-proxy left behind: asking again bumps kube-proxy, skips the rest."""
    runner = runner_for(aligned, tmp_path)
    assert runner.run("upgrade_control_plane", version="v1.32").status == "finished"

    def back_to_old(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-proxy:v1.31.4"

    aligned.store.mutate("daemonsets", "kube-system", "kube-proxy", back_to_old)
    again = runner.run("upgrade_control_plane", version="v1.32.0")

    assert again.status == "finished", again.texts()
    assert again.result["kube_proxy"] == "rolled-out"
    assert again.result["upgraded"] == [
        f"{step['component']}@{step['node']}" for step in again.result["steps"]
    ]
    daemonset = aligned.store.get("daemonsets", "kube-system", "kube-proxy")
    assert daemonset["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.32.0")
    refused = runner.run("upgrade_control_plane", version="v1.32.0")
    assert refused.status == "failed" and any("already" in text for text in refused.texts())


def test_the_hook_is_chosen_from_the_settings_and_kubesim_by_default_on_kubesim(
    sim: Simulator, tmp_path: Path
) -> None:
    """Unset: kubesim's upgrader on kubesim; ``wait`` runs no command; ``command`` runs the configured ones."""
    cluster.configure(kubeconfig=sim.write_kubeconfig(tmp_path / "kubeconfig"))
    commands = HookSettings.from_env(
        {"CHATOPS_UPGRADE_HOOK": "command", "CHATOPS_RETIRE_NODE_COMMAND": "true"}
    )

    assert isinstance(upgraders.from_settings(HookSettings()), upgraders.KubesimUpgrader)
    waiting = upgraders.from_settings(HookSettings(hook=HookKind.WAIT))
    running = upgraders.from_settings(commands)
    assert isinstance(waiting, upgraders.HookUpgrader) and not waiting.run_commands
    assert isinstance(running, upgraders.HookUpgrader) and running.run_commands


def test_a_retired_node_is_waited_for_until_its_node_object_is_gone(
    sim: Simulator, wait_hook: upgraders.HookUpgrader
) -> None:
    """The wait hook's retire returns once something outside deletes the Node."""
    external = threading.Timer(0.3, sim.store.delete, args=("nodes", None, "node-3"))
    external.start()
    try:
        wait_hook.retire("node-3")
    finally:
        external.join()

    assert sim.store.find("nodes", None, "node-3") is None


def _provision_when_asked(
    sim: Simulator, *, name: str, like: str, labels: dict[str, str], version: str
) -> None:
    """A node pool that names its nodes itself: once node-3's checkpoint reaches provision, ``name`` registers."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        raw = (sim.store.get("nodes", None, like)["metadata"].get("annotations") or {}).get(CHECKPOINT, "")
        if raw and json.loads(raw)["step"] == "provision":
            break
        time.sleep(0.05)
    time.sleep(0.3)
    model = sim.store.get("nodes", None, like)
    all_labels = {**model["metadata"]["labels"], **labels, "kubernetes.io/hostname": name}
    sim.store.create(
        "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": all_labels}}
    )

    def running(obj: dict[str, Any]) -> None:
        obj["status"] = {
            **obj.get("status", {}),
            "capacity": model["status"]["capacity"],
            "allocatable": model["status"]["allocatable"],
            "nodeInfo": {
                **model["status"]["nodeInfo"],
                "kubeletVersion": version,
                "kubeProxyVersion": version,
            },
        }

    sim.store.mutate("nodes", None, name, running, subresource="status")


def test_surge_with_a_provision_selector_takes_whatever_new_node_the_pool_registers(
    sim: Simulator, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """No provision command: the job waits for a new node matching the selector, drains onto it, retires node-3."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")
    hook_env.setenv("CHATOPS_PROVISION_NODE_SELECTOR", "pool=v1-31")
    hook_env.setenv(
        "CHATOPS_RETIRE_NODE_COMMAND",
        hook_scripts.hook_command(
            tmp_path, kubeconfig, name="retire", body=hook_scripts.RETIRE, placeholders="{node}"
        ),
    )
    hook_env.setenv("CHATOPS_UPGRADE_WAIT_TIMEOUT", "20")
    pool = threading.Thread(
        target=_provision_when_asked,
        args=(sim,),
        kwargs={"name": "pool-7f3k", "like": "node-3", "labels": {"pool": "v1-31"}, "version": "v1.31.4"},
    )
    pool.start()
    try:
        outcome = runner_for(sim, tmp_path).run(
            "upgrade_nodes",
            version="v1.31.4",
            strategy="surge",
            nodes=["node-3"],
            force=True,
            delete_emptydir_data=True,
        )
    finally:
        pool.join()

    assert outcome.status == "finished", outcome.texts()
    assert outcome.result["upgraded"][0]["replacement"] == "pool-7f3k"
    assert sim.store.find("nodes", None, "node-3") is None
    assert node_state(sim, "pool-7f3k") == NodeState("v1.31.4", False, None, False)
    assert any("drained onto `pool-7f3k`" in text for text in outcome.texts())
