"""``chatops impersonation-role``: the worker may impersonate exactly the people the policy names."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

POLICY = """
clusters:
  prod: {run_as: requester}
identities:
  U01ALICE: {user: alice@example.com, groups: [sre, oncall]}
  U02BOB: {user: bob@example.com, groups: [sre]}
rules:
  - {commands: [cordon], allow: ["*"]}
"""


def test_the_role_names_each_user_and_group_of_the_policy_and_only_the_extras_jobs_send(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent(POLICY))
    printed = subprocess.run(
        [str(Path(sys.executable).with_name("chatops")), "impersonation-role"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CHATOPS_POLICY": str(policy)},
    )
    role = yaml.safe_load(printed.stdout)
    assert role["kind"] == "ClusterRole"
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"],
         "resourceNames": ["alice@example.com", "bob@example.com"]},
        {"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"], "resourceNames": ["oncall", "sre"]},
        {"apiGroups": ["authentication.k8s.io"], "verbs": ["impersonate"],
         "resources": ["userextras/chatops.io/job-id", "userextras/chatops.io/approval-id",
                       "userextras/chatops.io/approvers"]},
    ]  # fmt: skip
