"""The README's try-it of run-as-requester, in the console on kubesim: the cluster's RBAC, not the bot's
policy, refuses alice's rollback, before any approver is asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHATOPS = Path(sys.executable).with_name("chatops")

pytestmark = pytest.mark.slow


def test_alice_tends_nodes_as_herself_and_the_cluster_refuses_her_rollback() -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "KUBECONFIG"}}
    env["CHATOPS_POLICY"] = str(ROOT / "examples" / "run-as-requester.yaml")
    result = subprocess.run(
        [str(CHATOPS), "console", "--script", str(ROOT / "examples" / "run-as-requester.chat")],
        capture_output=True, text=True, env=env, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Acting as Kubernetes user `alice@example.com` (groups `demo:node-operators`).") == 2
    assert "node/node-3 cordoned" in out and "node/node-3 uncordoned" in out
    assert "The cluster's RBAC does not let the person who asked do this. Missing: " in out
    assert "`patch deployments.apps` in namespace `default`" in out
    assert "No approver was asked" in out
    assert "needs 1 approval" not in out
