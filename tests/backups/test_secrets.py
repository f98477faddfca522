"""Backups with Secrets: only when the policy grants `backup secrets` by name, and then with their data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.policy import decide
from bot.core.policy_file import demo_policy, load_policy
from kubesim.server import Simulator
from shared.grammar import parse
from tests.backups.running import run_job
from workers import cluster

EVERYTHING_FOR_ALICE = """
rules:
  - commands: ["*"]
    allow: [U_ALICE]
  - commands: [backup secrets]
    allow: [U_BOB]
"""


def _decide(policy_text: str | None, *, user: str, text: str) -> tuple[bool, int | None]:
    policy = demo_policy() if policy_text is None else load_policy(policy_text)
    command = parse(text)
    decision = decide(
        policy,
        user=user,
        command=command.name,
        channel="C0OPS",
        namespace=command.namespace,
        cluster="main",
    )
    return decision.allowed, decision.rule


@pytest.mark.parametrize(
    ("user", "allowed"),
    [("U_ALICE", False), ("U_DAVE", False), ("U_BOB", True), ("U_CAROL", True)],
    ids=["on-call-denied", "viewer-denied", "lead-allowed", "other-lead-allowed"],
)
def test_the_demo_policy_lets_only_leads_include_secrets(user: str, allowed: bool) -> None:
    """backup config --include-secrets is decided as `backup secrets`, which the demo's rule 5 grants leads only."""
    assert _decide(None, user=user, text="backup config shop --include-secrets") == (allowed, 5)


def test_the_same_backup_without_secrets_stays_an_on_call_command() -> None:
    """Without the switch, Alice's backup config is decided by the ordinary write rule."""
    assert _decide(None, user="U_ALICE", text="backup config shop") == (True, 6)


def test_a_wildcard_rule_never_grants_secrets() -> None:
    """commands: ["*"] covers backup config for Alice but not backup secrets; the rule naming it decides."""
    assert _decide(EVERYTHING_FOR_ALICE, user="U_ALICE", text="backup config shop") == (True, 1)
    assert _decide(EVERYTHING_FOR_ALICE, user="U_ALICE", text="backup secrets shop") == (False, 2)
    assert _decide(EVERYTHING_FOR_ALICE, user="U_BOB", text="backup config shop --include-secrets") == (
        True,
        2,
    )


def _add_secrets() -> None:
    core = cluster.core()
    core.create_namespaced_secret(
        "default",
        {"metadata": {"name": "db-password"}, "type": "Opaque", "data": {"password": "aHVudGVyMg=="}},
    )
    core.create_namespaced_secret(
        "default",
        {
            "metadata": {
                "name": "builder-token",
                "annotations": {"kubernetes.io/service-account.name": "default"},
            },
            "type": "kubernetes.io/service-account-token",
        },
    )


def test_an_export_with_secrets_keeps_their_data_and_skips_cluster_made_tokens(
    scenario: Simulator, tmp_path: Path
) -> None:
    """backup secrets saves the Opaque secret with its data, not the service-account token, and says to guard it."""
    _add_secrets()

    outcome = run_job("backup_secrets", job_id="job-sec", namespace="default")

    assert outcome.succeeded, outcome.failure
    docs = list(yaml.safe_load_all((tmp_path / "store" / "config" / outcome.result["backup"]).read_text()))
    secrets = [doc for doc in docs if doc["kind"] == "Secret"]
    assert [(s["metadata"]["name"], s["data"]) for s in secrets] == [
        ("db-password", {"password": "aHVudGVyMg=="})
    ]
    assert any("Secrets were exported with their data" in text for text in outcome.texts())


def test_an_ordinary_export_leaves_secrets_out(scenario: Simulator, tmp_path: Path) -> None:
    """backup config never writes a Secret, even when the namespace has some."""
    _add_secrets()

    outcome = run_job("backup_config", job_id="job-cfg", namespace="default")

    docs = list(yaml.safe_load_all((tmp_path / "store" / "config" / outcome.result["backup"]).read_text()))
    assert not any(doc["kind"] == "Secret" for doc in docs)
