"""Configuration backups: clean YAML of what people configured, which `kubectl apply` recreates elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesim.server import Simulator
from kubesim.testing import Kubectl, running_simulator
from shared.jobevents import EventKind
from tests.backups.running import Outcome, run_job
from workers import backups, cluster

SERVER_FIELDS = {
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "ownerReferences",
}


def documents(outcome: Outcome, store: Path) -> list[dict[str, Any]]:
    """The documents of the backup file a job wrote."""
    text = (store / "config" / outcome.result["backup"]).read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def keys(docs: list[dict[str, Any]]) -> set[str]:
    """``Kind/namespace/name`` of each document."""
    return {f"{d['kind']}/{d['metadata'].get('namespace', '')}/{d['metadata']['name']}" for d in docs}


def test_a_namespace_backup_keeps_configuration_and_drops_what_the_cluster_made(
    scenario: Simulator, tmp_path: Path
) -> None:
    """backup config default saves RBAC, workloads, PDBs and bare pods, without status, server fields or controller-made objects."""
    outcome = run_job("backup_config", job_id="job-cfg1", namespace="default")

    assert outcome.succeeded, outcome.failure
    docs = documents(outcome, tmp_path / "store")
    assert keys(docs) == {
        "Role/default/demo-app-owner",
        "RoleBinding/default/demo-app-owners",
        "Deployment/default/web",
        "Deployment/default/api",
        "StatefulSet/default/cache",
        "PodDisruptionBudget/default/web-pdb",
        "Pod/default/debug-shell",
    }
    for doc in docs:
        assert "status" not in doc
        assert SERVER_FIELDS.isdisjoint(doc["metadata"]), doc["metadata"]
    web = next(doc for doc in docs if doc["metadata"]["name"] == "web")
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "deployment.kubernetes.io/revision" not in web["metadata"].get("annotations", {})
    assert outcome.result["counts"] == {
        "Role": 1,
        "RoleBinding": 1,
        "Deployment": 2,
        "StatefulSet": 1,
        "PodDisruptionBudget": 1,
        "Pod": 1,
    }
    assert any("Secrets were not exported" in text for text in outcome.texts(EventKind.PROGRESS))


def test_a_backup_records_a_checksum_of_the_file_and_of_each_object(
    scenario: Simulator, tmp_path: Path
) -> None:
    """Beside the YAML, a manifest holds the file's SHA-256 and one checksum per object."""
    outcome = run_job("backup_config", job_id="job-cfg2", namespace="default")

    name = outcome.result["backup"]
    manifest_path = tmp_path / "store" / "config" / (name.removesuffix(".yaml") + ".manifest.json")
    manifest = yaml.safe_load(manifest_path.read_text())
    assert manifest["sha256"] == backups.sha256_of(tmp_path / "store" / "config" / name)
    assert set(manifest["objects"]) == {
        key.replace("//", "/") for key in keys(documents(outcome, tmp_path / "store"))
    }


def test_a_dry_run_counts_what_would_be_saved_and_writes_nothing(scenario: Simulator, tmp_path: Path) -> None:
    """backup config --dry-run says what it would save and leaves the store empty."""
    outcome = run_job("backup_config", job_id="job-cfg3", namespace="default", dry_run=True)

    assert outcome.texts(EventKind.PLAN) == [
        "Would back up the configuration of namespace `default`: 1 Role, 1 RoleBinding, "
        "1 PodDisruptionBudget, 2 Deployments, 1 StatefulSet, 1 Pod."
    ]
    assert not (tmp_path / "store").exists()


def test_backing_up_a_missing_namespace_says_so(scenario: Simulator) -> None:
    """A namespace that does not exist fails the job with a sentence naming it."""
    outcome = run_job("backup_config", job_id="job-cfg4", namespace="nowhere")

    assert "Namespace `nowhere` does not exist" in outcome.failure


@pytest.mark.kubectl
def test_an_all_namespaces_backup_applied_to_a_fresh_cluster_recreates_the_same_objects(
    scenario: Simulator, tmp_path: Path
) -> None:
    """kubectl apply -f of a full backup into an empty kubesim recreates every object, and backing that up again gives the same documents."""
    original = run_job("backup_config", job_id="job-all1", all_namespaces=True)
    assert original.succeeded, original.failure
    backup_file = tmp_path / "store" / "config" / original.result["backup"]

    with running_simulator(scenario=None, controllers=False) as fresh:
        applied = Kubectl(fresh, tmp_path / "fresh")("apply", "-f", str(backup_file))
        assert applied.ok, applied.stderr
        cluster.configure(kubeconfig=fresh.write_kubeconfig(tmp_path / "fresh.kubeconfig"))
        again = run_job("backup_config", job_id="job-all2", all_namespaces=True)

    assert again.succeeded, again.failure
    first, second = documents(original, tmp_path / "store"), documents(again, tmp_path / "store")
    assert keys(second) == keys(first)
    assert "DaemonSet/kube-system/kube-proxy" in keys(first)
    assert not any(key.startswith("Pod/kube-system/") for key in keys(first)), (
        "mirror pods are not configuration"
    )
    assert second == first
