"""Long outputs in the console read as in Slack: counts and the first items, lines that fit, the file named."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from benchmarks.drain import busy_node_scenario, settle_on_busy_node
from benchmarks.kubesim_scale import write_scenario
from kubesim.server import Simulator
from shared.fit import LINE_WIDTH
from tests.bot.test_console import CHATOPS

pytestmark = pytest.mark.slow


def too_long(out: str) -> list[str]:
    """The lines the console printed whose message text (after ``[#N] bot: ``) is over the width."""
    outside_code = re.sub(r"```.*?```", "", out, flags=re.S)
    said = [re.sub(r"^\s*\[#\d+\] [\w ()]+?: ", "", line).strip() for line in outside_code.splitlines()]
    return [line for line in said if len(line) > LINE_WIDTH]


def console(script: str, *, kubeconfig: Path, tmp_path: Path) -> str:
    """Run ``chatops console`` on ``kubeconfig``'s cluster (an embedded Redis and worker); its output."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CHATOPS_POLICY"}}
    env["KUBECONFIG"] = str(kubeconfig)
    path = tmp_path / "script.chat"
    path.write_text(script)
    result = subprocess.run(
        [str(CHATOPS), "console", "--script", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_plan_of_200_pods_fits_the_console_and_names_its_file(tmp_path: Path) -> None:
    """drain node-1 over 200 pods, as a dry run and as a request: the count, ten names, "and 190 more", the file."""
    scenario = busy_node_scenario(tmp_path / "busy.yaml", replicas=200, spares=3, max_unavailable=10)
    with Simulator(scenario=scenario, speed=10) as sim:
        sim.start()
        settle_on_busy_node(sim, replicas=200)
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        out = console("drain node-1 --dry-run\ndrain node-1\n", kubeconfig=kubeconfig, tmp_path=tmp_path)
    plan = out[out.index("[#1] plan: ") : out.index("[#1] planned: ")]
    assert "evict 200 pod(s)" in plan and "and 190 more" in " ".join(plan.split())
    assert "  [#1] file drain-node-1-plan.txt: " in out
    request = out.index("[#2] bot: drain node/node-1 on cluster `default` needs 1 approval")
    assert out.index("  [#2] file drain-node-1-plan.txt: ") > request  # shared under the request
    assert too_long(out) == []


def test_a_list_of_5000_nodes_fits_the_console_and_names_its_file(tmp_path: Path) -> None:
    """nodes over 5,000 nodes: the counts, 20 rows, how many more, and nodes.txt named with its size."""
    scenario = tmp_path / "big.yaml"
    write_scenario(scenario, nodes=5000, pods_per_node=0)
    with Simulator(scenario=scenario, speed=10) as sim:
        sim.start()
        out = console("nodes\n", kubeconfig=sim.write_kubeconfig(tmp_path / "kc"), tmp_path=tmp_path)
    assert re.search(r"^  \[#1\] bot: 5,000 nodes: [\d,]+ Ready, [\d,]+ NotReady, 0 cordoned\.", out, re.M), (
        out
    )
    assert "…and 4,980 more. The whole list is in `nodes.txt`." in out
    assert "  [#1] file nodes.txt: 5,001 lines (shared as a file in Slack)" in out
    assert too_long(out) == []
