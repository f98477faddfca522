"""A configuration backup is complete: a namespace holding every kind a backup covers (RBAC, service
accounts, claims, network policies, workloads, Jobs and CronJobs, autoscalers, ingresses, custom objects
and their definition) is saved whole, and its restore preview finds the same objects live."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from kubesim.server import Simulator
from tests.backups.running import run_job
from workers import etcd

NAMESPACE = "shop"
LABELS = {"app": "shop"}
POD_SPEC = {"containers": [{"name": "shop", "image": "example/shop:1.0"}]}
TEMPLATE = {"metadata": {"labels": LABELS}, "spec": POD_SPEC}
JOB_SPEC = {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}
CRD = {
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True,
                      "schema": {"openAPIV3Schema": {"type": "object"}}}],
    },
}  # fmt: skip
EVERY_KIND: dict[str, tuple[str, dict[str, Any]]] = {
    "ServiceAccount": ("serviceaccounts", {}),
    "Role": ("roles", {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
    "RoleBinding": ("rolebindings", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "shop"},
        "subjects": [{"kind": "ServiceAccount", "name": "shop", "namespace": NAMESPACE}]}),
    "Secret": ("secrets", {"stringData": {"token": "s3cret"}}),
    "ConfigMap": ("configmaps", {"data": {"mode": "fast"}}),
    "PersistentVolumeClaim": ("persistentvolumeclaims", {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    "Service": ("services", {"spec": {"selector": LABELS, "ports": [{"port": 80}]}}),
    "NetworkPolicy": ("networkpolicies", {"spec": {"podSelector": {"matchLabels": LABELS}}}),
    "PodDisruptionBudget": ("poddisruptionbudgets", {"spec": {"minAvailable": 1, "selector": {"matchLabels": LABELS}}}),
    "Deployment": ("deployments", {"spec": {"replicas": 1, "selector": {"matchLabels": LABELS}, "template": TEMPLATE}}),
    "ReplicationController": ("replicationcontrollers", {"spec": {"replicas": 0, "template": TEMPLATE}}),
    "Job": ("jobs", {"spec": JOB_SPEC}),
    "CronJob": ("cronjobs", {"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": JOB_SPEC}}}),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"}, "maxReplicas": 4}}),
    "Ingress": ("ingresses", {"spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]}}),
    "Pod": ("pods", {"metadata": {"labels": {"role": "debug"}}, "spec": POD_SPEC}),
    "Widget": ("widgets", {"spec": {"size": 3}}),
}  # fmt: skip
"""One object named `shop` of each kind, by kind: its resource and what it says."""


def fill(simulator: Simulator) -> set[str]:
    """Create the namespace with one object of every kind (and the Widget CRD); their object keys."""
    store = simulator.store
    store.create("namespaces", {"metadata": {"name": NAMESPACE}})
    store.create("customresourcedefinitions", CRD)
    for resource, manifest in EVERY_KIND.values():
        meta = {**manifest.get("metadata", {}), "name": "shop"}
        store.create(resource, {**manifest, "metadata": meta}, namespace=NAMESPACE)
    return {f"{kind}/{NAMESPACE}/shop" for kind in EVERY_KIND} | {
        "CustomResourceDefinition/widgets.example.com"
    }


def saved(backup: str) -> list[dict[str, Any]]:
    text = (etcd.settings().backup_dir / "config" / backup).read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def key(doc: dict[str, Any]) -> str:
    meta = doc["metadata"]
    return (
        f"{doc['kind']}/{meta['namespace']}/{meta['name']}"
        if meta.get("namespace")
        else f"{doc['kind']}/{meta['name']}"
    )


def test_a_namespace_backup_holds_every_kind_and_its_preview_finds_them_unchanged(
    scenario: Simulator,
) -> None:
    """backup secrets of the namespace saves one document per object (the CRD first, custom objects last);
    previewing its restore finds every one live and unchanged."""
    every = fill(scenario)

    made = run_job("backup_secrets", job_id="job-every", namespace=NAMESPACE)

    assert made.succeeded, made.failure
    documents = saved(made.result["backup"])
    assert {key(doc) for doc in documents} == every
    assert (documents[0]["kind"], documents[-1]["kind"]) == ("CustomResourceDefinition", "Widget")
    job = next(doc for doc in documents if doc["kind"] == "Job")
    assert "selector" not in job["spec"]  # generated on the Job's uid: a restore must not send it
    assert (
        "controller-uid" not in job["metadata"]["labels"] and job["metadata"]["labels"]["job-name"] == "shop"
    )
    preview = run_job("backup_restore", job_id="job-preview", backup=made.result["backup"])
    assert preview.succeeded, preview.failure
    assert (preview.result["created"], preview.result["changed"]) == ([], {})
    assert set(preview.result["unchanged"]) == every


def test_objects_deleted_since_the_backup_are_previewed_as_created(scenario: Simulator) -> None:
    """After the configuration kinds and the custom object are deleted, the preview would create each."""
    fill(scenario)
    made = run_job("backup_config", job_id="job-every", namespace=NAMESPACE)
    gone = ("Job", "CronJob", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy", "PersistentVolumeClaim",
            "ReplicationController", "Role", "RoleBinding", "ServiceAccount", "Widget")  # fmt: skip
    for kind in gone:
        scenario.store.delete(EVERY_KIND[kind][0], NAMESPACE, "shop", propagation_policy="Background")
    deadline = time.monotonic() + 10  # the claim waits for PVC protection to release it
    while scenario.store.find("persistentvolumeclaims", NAMESPACE, "shop") and time.monotonic() < deadline:
        time.sleep(0.05)

    preview = run_job("backup_restore", job_id="job-preview", backup=made.result["backup"])

    assert preview.succeeded, preview.failure
    assert sorted(preview.result["created"]) == sorted(f"{kind}/{NAMESPACE}/shop" for kind in gone)


def test_an_all_namespaces_backup_holds_the_cluster_scoped_kinds(scenario: Simulator, tmp_path: Path) -> None:
    """Every namespace's backup carries CRDs and the cluster's own RBAC objects, not the bootstrap ones."""
    fill(scenario)
    scenario.store.create("clusterroles", {"metadata": {"name": "system:kube-thing", "labels": {
        "kubernetes.io/bootstrapping": "rbac-defaults"}}, "rules": []})  # fmt: skip

    made = run_job("backup_config", job_id="job-all", all_namespaces=True)

    assert made.succeeded, made.failure
    kinds = {
        doc["kind"]: key(doc)
        for doc in saved(made.result["backup"])
        if doc["metadata"].get("namespace") is None
    }
    assert kinds["CustomResourceDefinition"] == "CustomResourceDefinition/widgets.example.com"
    assert "ClusterRole" in kinds and "ClusterRole/system:kube-thing" not in set(kinds.values())


def test_a_custom_resource_the_workers_may_not_list_is_named_not_fatal(scenario: Simulator) -> None:
    """The workers' role grants the built-in kinds only: a 403 on a custom resource leaves it out of the
    backup, and the job says which and how to include it."""
    fill(scenario)
    scenario.faults.update_from_json({"requests": [{"action": "403", "path": "^/apis/example.com/"}]})

    made = run_job("backup_config", job_id="job-every", namespace=NAMESPACE)

    assert made.succeeded, made.failure
    assert "Widget" not in made.result["counts"] and "CustomResourceDefinition" not in made.result["counts"]
    assert made.result["counts"]["CronJob"] == 1
    warning = next(text for text in made.texts() if "Not backed up" in text)
    assert "`Widget.example.com`" in warning and "Grant the workers `list`" in warning
