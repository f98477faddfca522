"""backup config and its restore preview on both test beds: what people configured is saved, what the
cluster made is not (on a real server: kube-root-ca.crt, the default ServiceAccount, the kubernetes
Service), and the preview names what re-applying would change, changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.beds.view import deployment, runner_for
from tests.support.beds import Bed
from workers import etcd


@pytest.fixture(name="store")
def fixture_store(tmp_path: Path) -> Iterator[Path]:
    """This test's backup directory."""
    etcd.configure(etcd.EtcdSettings(backup_dir=tmp_path / "backups"))
    yield tmp_path / "backups"
    etcd.configure(etcd.EtcdSettings())


def test_a_namespace_backup_keeps_what_people_configured_and_nothing_the_cluster_made(
    bed: Bed, store: Path
) -> None:
    """RBAC, workloads, the PDB and the bare pod; no status; no object a controller or the API server created."""
    outcome = runner_for(bed).run("backup_config", namespace="default")
    assert outcome.status == "finished", outcome.texts()
    text = (store / "config" / outcome.result["backup"]).read_text()
    saved = sorted(f"{doc['kind']}/{doc['metadata']['name']}" for doc in yaml.safe_load_all(text) if doc)
    assert saved == [
        "Deployment/api",
        "Deployment/web",
        "Pod/debug-shell",
        "PodDisruptionBudget/web-pdb",
        "Role/demo-app-owner",
        "RoleBinding/demo-app-owners",
        "StatefulSet/cache",
    ]
    assert all("status" not in doc for doc in yaml.safe_load_all(text) if doc)


def test_the_restore_preview_names_the_change_and_changes_nothing(bed: Bed, store: Path) -> None:
    """After a scale and a deleted PDB: web would change back, the PDB would be recreated; nothing is written."""
    runner = runner_for(bed)
    made = runner.run("backup_config", namespace="default")
    assert made.status == "finished", made.texts()
    bed.apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    bed.policy.delete_namespaced_pod_disruption_budget("web-pdb", "default")
    preview = runner.run("backup_restore", backup=made.result["backup"])
    assert preview.status == "finished", preview.texts()
    assert preview.result["created"] == ["PodDisruptionBudget/default/web-pdb"]
    assert preview.result["changed"]["Deployment/default/web"] == ["spec.replicas"]
    assert "Deployment/default/api" in preview.result["unchanged"]
    assert deployment(bed)["spec"]["replicas"] == 5
