"""Fidelity cases of the configuration kinds (their discovery and the defaults their objects get),
CustomResourceDefinitions and custom objects, foreground and orphan cascading deletion, and the OpenAPI
v3 documents `kubectl explain` reads.

Not compared: ``pods/log`` and ``metrics.k8s.io``, which the real bed cannot answer (KWOK's nodes have
no kubelet to stream logs from, and no metrics-server runs there); tests/kubesim covers them with kubectl.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from tests.fidelity.cases import BUSYBOX, DEPLOYMENTS, Case, _deployment
from tests.fidelity.wire import Answer, Wire

BATCH = "/apis/batch/v1/namespaces/default"
NETWORKING = "/apis/networking.k8s.io/v1/namespaces/default"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/fidelity.example.com/v1/namespaces/default/widgets"
POD_TEMPLATE = {"spec": {"restartPolicy": "Never", "containers": BUSYBOX}}
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.fidelity.example.com"},
    "spec": {
        "group": "fidelity.example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [{"name": "v1", "served": True, "storage": True,
                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
    },
}  # fmt: skip


def _verbs(*group_versions: str) -> Callable[[Wire], Answer]:
    """Each resource of some group/versions with its verbs, short names and scope."""

    def run(wire: Wire) -> Answer:
        listed: dict[str, Any] = {}
        for group_version in group_versions:
            prefix = "/api" if group_version == "v1" else "/apis"
            answer = wire.request("GET", f"{prefix}/{group_version}")
            for entry in (answer.body or {}).get("resources", []):
                listed[f"{group_version} {entry['name']}".replace(".", "_")] = {
                    "verbs": sorted(entry.get("verbs") or []),
                    "shortNames": entry.get("shortNames"),
                    "namespaced": entry.get("namespaced"),
                    "kind": entry.get("kind"),
                }
        return Answer(200, "application/json", listed)

    return run


_CONFIGURATION_RESOURCES = (
    "v1 persistentvolumeclaims", "v1 persistentvolumeclaims/status", "v1 replicationcontrollers",
    "v1 replicationcontrollers/scale", "v1 replicationcontrollers/status", "v1 serviceaccounts",
    "v1 pods/log", "batch/v1 jobs", "batch/v1 jobs/status", "batch/v1 cronjobs", "batch/v1 cronjobs/status",
    "autoscaling/v2 horizontalpodautoscalers", "autoscaling/v2 horizontalpodautoscalers/status",
    "networking.k8s.io/v1 ingresses", "networking.k8s.io/v1 ingresses/status",
    "networking.k8s.io/v1 networkpolicies", "apiextensions.k8s.io/v1 customresourcedefinitions",
    "apiextensions.k8s.io/v1 customresourcedefinitions/status",
)  # fmt: skip
CONFIGURATION_RESOURCES = tuple(name.replace(".", "_") for name in _CONFIGURATION_RESOURCES)
"""Keyed without dots, so that each is one path for the comparison."""


def _configuration_discovery(wire: Wire) -> Answer:
    """The configuration kinds' discovery entries (the real server serves more we do not compare)."""
    answer = _verbs("v1", "batch/v1", "autoscaling/v2", "networking.k8s.io/v1", "apiextensions.k8s.io/v1")(
        wire
    )
    wanted = {name: answer.body.get(name) for name in CONFIGURATION_RESOURCES}
    return Answer(answer.status, answer.content_type, wanted)


def _created(path: str, body: Mapping[str, Any]) -> Callable[[Wire], Answer]:
    """A create's answer (the object with the server's defaults); the object is deleted after."""

    def run(wire: Wire) -> Answer:
        answer = wire.request("POST", path, dict(body))
        wire.request("DELETE", f"{path}/{body['metadata']['name']}?propagationPolicy=Background")
        return answer

    return run


def _custom_object(wire: Wire) -> Answer:
    """A CRD once established, then an object of it; both deleted after."""
    wire.request("POST", CRDS, CRD)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and wire.request("GET", WIDGETS).status != 200:
        time.sleep(0.2)
    crd = wire.request("GET", f"{CRDS}/widgets.fidelity.example.com").body
    widget = {"apiVersion": "fidelity.example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
              "spec": {"size": 3}}  # fmt: skip
    answer = wire.request("POST", WIDGETS, widget)
    wire.request("DELETE", f"{CRDS}/widgets.fidelity.example.com")
    while (
        time.monotonic() < deadline
        and wire.request("GET", f"{CRDS}/widgets.fidelity.example.com").status != 404
    ):
        time.sleep(0.2)
    established = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
    summary = {"object": answer.body, "established": established.get("Established"),
               "storedVersions": (crd.get("status") or {}).get("storedVersions"),
               "acceptedNames": (crd.get("status") or {}).get("acceptedNames")}  # fmt: skip
    return Answer(answer.status, answer.content_type, summary)


def _cascade(policy: str) -> Callable[[Wire], Answer]:
    """Delete a one-replica Deployment with a propagation policy: the answer's marks, then what is left
    once the Deployment is gone (its ReplicaSets, and whether they still name an owner)."""
    name = f"cascade-{policy.lower()}"

    def run(wire: Wire) -> Answer:
        wire.request("POST", DEPLOYMENTS, _deployment(name, replicas=1))
        replica_sets = f"/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3D{name}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not wire.request("GET", replica_sets).body.get("items"):
            time.sleep(0.2)
        answer = wire.request("DELETE", f"{DEPLOYMENTS}/{name}?propagationPolicy={policy}")
        while time.monotonic() < deadline and wire.request("GET", f"{DEPLOYMENTS}/{name}").status != 404:
            time.sleep(0.2)
        time.sleep(1.0)  # let the collector finish with the dependents
        left = wire.request("GET", replica_sets).body.get("items") or []
        meta = (answer.body or {}).get("metadata") or {}
        summary = {
            "finalizers": meta.get("finalizers"),
            "grace": meta.get("deletionGracePeriodSeconds"),
            "marked": bool(meta.get("deletionTimestamp")),
            "gone": wire.request("GET", f"{DEPLOYMENTS}/{name}").status == 404,
            "replicaSetsLeft": len(left),
            "owned": [bool(rs["metadata"].get("ownerReferences")) for rs in left],
        }
        for rs in left:
            wire.request("DELETE", f"/apis/apps/v1/namespaces/default/replicasets/{rs['metadata']['name']}")
        return Answer(answer.status, answer.content_type, summary)

    return run


def _json(answer: Answer) -> Any:
    """A body that is JSON whatever its content type (the real server serves OpenAPI as text/plain)."""
    return json.loads(answer.body) if isinstance(answer.body, str) else answer.body


def _explained(group_version: str, kind: str, field: str) -> Callable[[Wire], Answer]:
    """What `kubectl explain` reads of a kind in the OpenAPI v3 documents: its component's fields, where
    the spec leads, and the type of one spec field."""

    def run(wire: Wire) -> Answer:
        root = _json(wire.request("GET", "/openapi/v3"))["paths"]
        prefix = "api" if group_version == "v1" else "apis"
        document = _json(wire.request("GET", root[f"{prefix}/{group_version}"]["serverRelativeURL"]))
        schemas = document["components"]["schemas"]
        name, component = next(
            (name, c) for name, c in schemas.items()
            if {"kind": kind}.items() <= (c.get("x-kubernetes-group-version-kind") or [{}])[0].items()
        )  # fmt: skip
        spec_ref = component["properties"]["spec"]["allOf"][0]["$ref"]
        spec = schemas[spec_ref.rsplit("/", 1)[-1]]
        summary = {
            "component": name,
            "fields": sorted(component["properties"]),
            "spec": spec_ref,
            "field": {k: spec["properties"][field].get(k) for k in ("type", "format")},
            "patchDeclaresFieldValidation": any(
                p.get("name") == "fieldValidation"
                for operations in document["paths"].values()
                for p in (operations.get("patch") or {}).get("parameters") or []
            ),
        }
        return Answer(200, "application/json", summary)

    return run


def _all(summary: str) -> tuple[str, ...]:
    return tuple(summary.split())


API_CASES: tuple[Case, ...] = (
    Case("kinds", "discovery of the configuration kinds", _configuration_discovery, CONFIGURATION_RESOURCES),
    Case("kinds", "a Job's defaults", _created(f"{BATCH}/jobs", {"metadata": {"name": "once"}, "spec": {
        "suspend": True, "template": POD_TEMPLATE}}),
        _all("spec.completions spec.parallelism spec.backoffLimit spec.completionMode spec.podReplacementPolicy")),
    Case("kinds", "a CronJob's defaults", _created(f"{BATCH}/cronjobs", {"metadata": {"name": "nightly"}, "spec": {
        "schedule": "0 3 * * *", "suspend": True, "jobTemplate": {"spec": {"template": POD_TEMPLATE}}}}),
        _all("spec.concurrencyPolicy spec.successfulJobsHistoryLimit spec.failedJobsHistoryLimit")),
    Case("kinds", "a PVC's defaults", _created("/api/v1/namespaces/default/persistentvolumeclaims", {
        "metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                               "resources": {"requests": {"storage": "1Gi"}}}}),
        _all("spec.volumeMode status.phase")),
    Case("kinds", "a NetworkPolicy's defaults", _created(f"{NETWORKING}/networkpolicies", {
        "metadata": {"name": "deny"}, "spec": {"podSelector": {}, "egress": [{}]}}), _all("spec.policyTypes")),
    Case("kinds", "an Ingress", _created(f"{NETWORKING}/ingresses", {"metadata": {"name": "shop"}, "spec": {
        "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]}})),
    Case("kinds", "an HPA's defaults", _created("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
        "metadata": {"name": "web"}, "spec": {"maxReplicas": 5, "scaleTargetRef": {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}}), _all("spec.minReplicas spec.metrics")),
    Case("kinds", "a ReplicationController's defaults", _created("/api/v1/namespaces/default/replicationcontrollers", {
        "metadata": {"name": "old"}, "spec": {"replicas": 0, "template": {
            "metadata": {"labels": {"app": "old"}}, "spec": {"containers": BUSYBOX}}}}), _all("spec.selector")),
    Case("kinds", "a CRD and an object of it", _custom_object,
         _all("established storedVersions acceptedNames object.metadata.generation object.apiVersion")),
    Case("deletion", "foreground: the owner is marked, then goes after its dependents", _cascade("Foreground"),
         _all("finalizers grace marked gone replicaSetsLeft owned")),
    Case("deletion", "orphan: the dependents stay, unowned", _cascade("Orphan"),
         _all("finalizers grace marked gone replicaSetsLeft owned")),
    Case("openapi", "explain deployment.spec.replicas", _explained("apps/v1", "Deployment", "replicas"),
         _all("component fields spec field patchDeclaresFieldValidation")),
    Case("openapi", "explain pods", _explained("v1", "Pod", "containers"),
         _all("component fields spec field patchDeclaresFieldValidation")),
)  # fmt: skip
