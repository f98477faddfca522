"""Upgrades on both test beds, at the real control plane's own version (1.37): ``upgrade plan`` within the
skew rule, and ``upgrade nodes`` one at a time through the operator's command hook, which here does what
a node's tooling would (the new kubelet reports its version), not a special case in the workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.build import kubernetes_version
from kubesim.scenario import DEFAULT_SCENARIO
from tests.beds.view import as_json, unschedulable
from tests.support.beds import Bed
from tests.upgrades import hook_scripts
from tests.workers.harness import JobRunner
from workers.hook_settings import COMMAND_VARIABLES

SERVER = kubernetes_version()
"""The release the control plane is built from (v1.37.2): the scenario's versions are set against it."""
MINOR = int(SERVER.split(".")[1])
BEHIND = {"v1.31.4": SERVER, "v1.30.6": f"v1.{MINOR - 1}.5", "v1.28.9": f"v1.{MINOR - 2}.3"}
"""The default scenario's versions moved to the server's: node-2 one minor behind, node-3 two."""


@pytest.fixture(name="bed_scenario")
def fixture_bed_scenario(tmp_path: Path) -> Path:
    text = DEFAULT_SCENARIO.read_text()
    for old, new in BEHIND.items():
        text = text.replace(old, new)
    path = tmp_path / "kubeadm-current.yaml"
    path.write_text(text)
    return path


@pytest.fixture(name="bed_server_version")
def fixture_bed_server_version() -> str:
    return SERVER


@pytest.fixture(name="hook_env")
def fixture_hook_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in (
        "CHATOPS_UPGRADE_HOOK",
        "CHATOPS_UPGRADE_HOOK_TIMEOUT",
        "CHATOPS_UPGRADE_WAIT_TIMEOUT",
        *COMMAND_VARIABLES.values(),
    ):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def kubelet(bed: Bed, node: str) -> str:
    version: str = as_json(bed, bed.core.read_node(node))["status"]["nodeInfo"]["kubeletVersion"]
    return version


def test_the_plan_names_the_nodes_behind_the_control_plane(bed: Bed) -> None:
    """upgrade plan reads the server's version and each kubelet's, within the skew rule."""
    outcome = JobRunner(bed.worker_kubeconfig).run("upgrade_plan")
    assert outcome.status == "finished", outcome.texts()
    text = " ".join(outcome.texts())
    assert SERVER in text and BEHIND["v1.30.6"] in text and BEHIND["v1.28.9"] in text


def test_upgrade_nodes_one_at_a_time_through_the_command_hook(
    bed: Bed, tmp_path: Path, hook_env: pytest.MonkeyPatch
) -> None:
    """node-2 is drained, upgraded by the operator's command, seen Ready at the new version, and uncordoned."""
    command = hook_scripts.hook_command(
        tmp_path, bed.admin_kubeconfig, name="node", body=hook_scripts.NODE, placeholders="{node} {version}"
    )
    hook_env.setenv("CHATOPS_UPGRADE_HOOK", "command")
    hook_env.setenv("CHATOPS_UPGRADE_NODE_COMMAND", command)
    hook_env.setenv("CHATOPS_UPGRADE_WAIT_TIMEOUT", "60")
    outcome = JobRunner(bed.worker_kubeconfig).run(
        "upgrade_nodes", version=SERVER, nodes=["node-2"], force=True, delete_emptydir_data=True
    )
    assert outcome.status == "finished", outcome.texts()
    assert hook_scripts.calls(tmp_path, "node") == [f"node-2 {SERVER}"]
    assert kubelet(bed, "node-2") == SERVER
    assert not unschedulable(bed, "node-2")
    assert kubelet(bed, "node-3") == BEHIND["v1.28.9"]
