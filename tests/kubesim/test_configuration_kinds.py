"""The kinds a configuration backup covers (issue 14, item 9): stored with the server's defaults, listed by
`kubectl api-resources`, and CustomResourceDefinitions that make their own resources served."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.errors import ApiError
from kubesim.kind_defaults import JOB_CONTROLLER_UID, JOB_NAME, PVC_PROTECTION
from kubesim.server import Simulator
from kubesim.store import Store
from kubesim.testing import Kubectl
from tests.kubesim.conftest import Http

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1", "served": True, "storage": True,
             "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
        ],
    },
}  # fmt: skip
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}
POD_TEMPLATE = {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}}


@pytest.fixture(name="store")
def fixture_store() -> Store:
    """An empty store on a real-time clock."""
    return Store(clock=Clock())


@pytest.mark.kubectl
def test_api_resources_lists_every_configuration_kind(kubectl: Kubectl) -> None:
    """`kubectl api-resources` names each kind with its short names and group/version."""
    rows = {
        line.split()[0]: line.split()[1:] for line in kubectl("api-resources", check=True).stdout.splitlines()
    }
    assert rows["persistentvolumeclaims"] == ["pvc", "v1", "true", "PersistentVolumeClaim"]
    assert rows["replicationcontrollers"] == ["rc", "v1", "true", "ReplicationController"]
    assert rows["jobs"] == ["batch/v1", "true", "Job"]
    assert rows["cronjobs"] == ["cj", "batch/v1", "true", "CronJob"]
    assert rows["horizontalpodautoscalers"] == ["hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"]
    assert rows["ingresses"] == ["ing", "networking.k8s.io/v1", "true", "Ingress"]
    assert rows["networkpolicies"] == ["netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"]
    assert rows["customresourcedefinitions"] == [
        "crd,crds",
        "apiextensions.k8s.io/v1",
        "false",
        "CustomResourceDefinition",
    ]
    assert rows["serviceaccounts"] == ["sa", "v1", "true", "ServiceAccount"]


def test_a_job_gets_the_selector_and_labels_the_job_controller_uses(store: Store) -> None:
    """A Job's defaults: one completion, backoff 6, and a selector on its own uid that its template carries
    (and the Job itself, having no labels of its own)."""
    job = store.create(
        "jobs", {"metadata": {"name": "once"}, "spec": {"template": POD_TEMPLATE}}, namespace="default"
    )
    spec, uid = job["spec"], job["metadata"]["uid"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["selector"] == {"matchLabels": {JOB_CONTROLLER_UID: uid}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels[JOB_CONTROLLER_UID] == uid and labels[JOB_NAME] == "once"
    assert job["metadata"]["labels"] == labels and spec["manualSelector"] is False
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    assert job["metadata"]["generation"] == 1


def test_the_other_configuration_kinds_get_the_servers_defaults(store: Store) -> None:
    """CronJob history limits, a PVC's volume mode, an RC's selector from its template, a NetworkPolicy's
    policy types, an HPA's CPU target."""
    cron = store.create("cronjobs", {"metadata": {"name": "nightly"}, "spec": {
        "schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": POD_TEMPLATE}}}}, namespace="default")  # fmt: skip
    assert (cron["spec"]["successfulJobsHistoryLimit"], cron["spec"]["concurrencyPolicy"]) == (3, "Allow")
    pvc = store.create("persistentvolumeclaims", {"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, namespace="default")  # fmt: skip
    assert (pvc["spec"]["volumeMode"], pvc["status"]["phase"]) == ("Filesystem", "Pending")
    template = {"metadata": {"labels": {"app": "old"}}, "spec": POD_TEMPLATE["spec"]}
    rc = store.create("replicationcontrollers", {"metadata": {"name": "old"}, "spec": {"template": template}},
                      namespace="default")  # fmt: skip
    assert (rc["spec"]["selector"], rc["spec"]["replicas"], rc["metadata"]["labels"]) == (
        {"app": "old"},
        1,
        {"app": "old"},
    )
    policy = store.create(
        "networkpolicies", {"metadata": {"name": "deny"}, "spec": {"egress": [{}]}}, namespace="default"
    )
    assert policy["spec"] == {"egress": [{}], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    hpa = store.create("horizontalpodautoscalers", {"metadata": {"name": "web"}, "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}},
        namespace="default")  # fmt: skip
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 80,
    }


def test_a_crd_makes_its_resource_served_until_it_is_deleted(http: Http) -> None:
    """Once stored, the CRD is Established and its resource is in discovery and writable; deleting the CRD
    removes the resource and its objects."""
    created = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)
    assert created.status == 201
    conditions = {c["type"]: c["status"] for c in created.json()["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert {"name": "example.com", "versions": [{"groupVersion": "example.com/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "example.com/v1", "version": "v1"}} in http("GET", "/apis").json()["groups"]  # fmt: skip
    listed = http("GET", "/apis/example.com/v1").json()["resources"]
    assert [(r["name"], r["kind"], r["shortNames"]) for r in listed] == [("widgets", "Widget", ["wd"])]
    widgets = "/apis/example.com/v1/namespaces/default/widgets"
    made = http("POST", widgets, WIDGET)
    assert made.status == 201 and made.json()["metadata"]["generation"] == 1
    assert http("GET", f"{widgets}/w1").json()["spec"] == {"size": 3}

    assert (
        http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status
        == 200
    )

    assert http("GET", widgets).status == 404
    assert http("GET", "/apis/example.com/v1").status == 404
    http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)
    assert http("GET", widgets).json()["items"] == []


def test_a_crd_whose_plural_is_built_in_defines_nothing_new(store: Store) -> None:
    """kubesim keys resources by plural: a CRD naming `pods` in another group is stored, not served."""
    clash = {**CRD, "metadata": {"name": "pods.example.com"},
             "spec": {**CRD["spec"], "names": {"plural": "pods", "kind": "Pod"}}}  # fmt: skip
    store.create("customresourcedefinitions", clash)
    assert store.custom == {}


@pytest.mark.kubectl
def test_kubectl_applies_gets_and_deletes_custom_objects(kubectl: Kubectl) -> None:
    """kubectl works with a custom resource by plural and short name once the CRD is established."""
    kubectl("apply", "-f", "-", input=json.dumps(CRD), check=True)
    kubectl("apply", "-f", "-", input=json.dumps(WIDGET), check=True)
    assert kubectl("get", "wd", "-o", "name", check=True).stdout == "widget.example.com/w1\n"
    assert kubectl("delete", "widget", "w1", check=True).stdout.startswith('widget.example.com "w1" deleted')


def test_rbac_names_are_path_segments_so_system_names_are_valid(store: Store) -> None:
    """RBAC objects are named like `system:controller:x` (the rule is a path segment, not a DNS name)."""
    store.create("clusterroles", {"metadata": {"name": "system:controller:widgets"}, "rules": []})
    with pytest.raises(ApiError) as refused:
        store.create("clusterroles", {"metadata": {"name": "a/b"}, "rules": []})
    assert refused.value.code == 422 and "may not contain '/'" in refused.value.message


def test_a_claim_in_use_outlives_its_deletion_until_its_pod_goes(sim: Simulator) -> None:
    """A new PVC carries the pvc-protection finalizer; deleted while a running pod mounts it, it stays
    Terminating, and goes with the pod."""
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
             "resources": {"requests": {"storage": "1Gi"}}}}  # fmt: skip
    created = sim.store.create("persistentvolumeclaims", claim, namespace="default")
    assert created["metadata"]["finalizers"] == [PVC_PROTECTION]
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    sim.store.create("pods", {"metadata": {"name": "user"}, "spec": {
        "nodeName": "node-1", "volumes": [volume], "containers": [{"name": "c", "image": "busybox:1.36"}]}},
        namespace="default")  # fmt: skip
    sim.controllers.settle(timeout=10.0)

    sim.store.delete("persistentvolumeclaims", "default", "data")
    sim.controllers.settle(timeout=10.0)
    assert sim.store.get("persistentvolumeclaims", "default", "data")["metadata"]["deletionTimestamp"]

    sim.store.delete("pods", "default", "user", grace_period_seconds=0)
    sim.controllers.settle(timeout=10.0)
    assert sim.store.find("persistentvolumeclaims", "default", "data") is None


def test_deleting_a_namespace_deletes_its_custom_objects_too(sim: Simulator) -> None:
    """The namespace controller empties custom resources as it does built-in ones, then the namespace goes."""
    sim.store.create("namespaces", {"metadata": {"name": "shop"}})
    sim.store.create("customresourcedefinitions", CRD)
    sim.store.create("widgets", WIDGET, namespace="shop")

    sim.store.delete("namespaces", None, "shop")
    sim.controllers.settle(timeout=10.0)

    assert sim.store.find("namespaces", None, "shop") is None
    assert sim.store.list("widgets")[0] == []
