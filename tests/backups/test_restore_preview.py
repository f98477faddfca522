"""backup restore: a read-only preview of what re-applying a configuration backup would create or change."""

from __future__ import annotations

from typing import Any

from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.backups.running import run_job
from tests.backups.store_files import write_snapshot
from workers import cluster, etcd
from workers.restore_preview import changed_fields


def _configuration(simulator: Simulator) -> dict[str, Any]:
    """The spec (or data) of every workload, PDB and config map: what a restore would write.

    Controllers keep writing status meanwhile, so resourceVersions are no witness; specs are.
    """
    configured: dict[str, Any] = {}
    for resource in ("deployments", "poddisruptionbudgets", "configmaps", "statefulsets", "daemonsets"):
        items, _ = simulator.store.list(resource, None)
        for item in items:
            meta: dict[str, Any] = item["metadata"]
            key = f"{resource}/{meta.get('namespace')}/{meta['name']}"
            configured[key] = (meta.get("labels"), item.get("spec"), item.get("data"))
    return configured


def test_the_preview_names_what_would_be_created_changed_or_left_alone_and_writes_nothing(
    scenario: Simulator,
) -> None:
    """After a scale and a deleted PDB, the preview says web would change back, the PDB would be recreated, the rest stays."""
    made = run_job("backup_config", job_id="job-cfg", namespace="default")
    assert made.succeeded, made.failure
    cluster.apps().patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 7}})
    cluster.policy().delete_namespaced_pod_disruption_budget("web-pdb", "default")
    before = _configuration(scenario)

    outcome = run_job("backup_restore", job_id="job-preview", backup=made.result["backup"])

    assert outcome.succeeded, outcome.failure
    assert outcome.result["created"] == ["PodDisruptionBudget/default/web-pdb"]
    assert outcome.result["changed"]["Deployment/default/web"] == ["spec.replicas"]
    assert "Deployment/default/api" in outcome.result["unchanged"]
    assert _configuration(scenario) == before
    preview, how = outcome.texts(EventKind.PROGRESS)
    assert "1 to create, 1 to change" in preview and "Nothing was changed." in preview
    assert "Would change `Deployment/default/web`: `spec.replicas`" in preview
    assert f"`kubectl apply -f {etcd.settings().backup_dir / 'config' / made.result['backup']}`" in how


def test_a_preview_limited_to_a_namespace_ignores_the_rest_of_the_backup(scenario: Simulator) -> None:
    """backup restore --namespace kube-system of an all-namespaces backup compares kube-system objects only."""
    made = run_job("backup_config", job_id="job-all", all_namespaces=True)

    outcome = run_job(
        "backup_restore", job_id="job-preview", backup=made.result["backup"], namespace="kube-system"
    )

    assert outcome.succeeded, outcome.failure
    compared = outcome.result["created"] + list(outcome.result["changed"]) + outcome.result["unchanged"]
    assert compared and all("kube-system" in key for key in compared)
    assert outcome.result["created"] == [] and outcome.result["changed"] == {}


def test_an_etcd_snapshot_cannot_be_previewed_as_a_configuration_restore(scenario: Simulator) -> None:
    """Previewing a snapshot fails with a sentence pointing at etcd restore."""
    snapshot = write_snapshot(etcd.settings().backup_dir, stamp="20261127T020000Z", job_id="job-b")

    outcome = run_job("backup_restore", job_id="job-preview", backup=snapshot.name)

    assert "is an etcd snapshot, not a configuration backup" in outcome.failure


def test_changed_fields_names_paths_and_compares_named_list_items_by_name() -> None:
    """Only what the backup sets is compared; containers are matched by name; a missing key is a change."""
    wanted = {
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log"}]}},
        },
        "metadata": {"labels": {"app": "web"}},
    }
    live = {
        "spec": {
            "replicas": 3,
            "paused": True,
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}},
        },
        "metadata": {},
    }

    assert changed_fields(wanted, live) == [
        "spec.template.spec.containers[web].image",
        "spec.template.spec.containers[log]",
        "metadata.labels",
    ]
    assert changed_fields(wanted, wanted) == []
