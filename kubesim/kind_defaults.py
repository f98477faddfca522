"""The API server's defaults for the configuration kinds (PVCs, ReplicationControllers, Jobs, CronJobs,
HorizontalPodAutoscalers, Ingresses, NetworkPolicies, CustomResourceDefinitions): the fields
kube-apiserver's defaulting functions fill, so that what a client reads back matches a cluster.

`kubesim.resources.apply_defaults` calls these; a pod template inside (Jobs, CronJobs,
ReplicationControllers) is defaulted by the function it passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
TemplateDefaults = Callable[[Obj], None]
"""Defaults a spec's ``template`` (a pod template) in place."""

JOB_CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
"""The finalizer that keeps a claim while pods use it (kubesim.controllers.pvcprotection removes it)."""
LEGACY_JOB_UID, LEGACY_JOB_NAME = "controller-uid", "job-name"
"""The legacy pair of the labels the Job controller gives its pods (the current ones above)."""


def _spec(obj: Obj) -> Obj | None:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else None


def _creating(obj: Obj) -> bool:
    """Whether the defaults are those of a create (the store sets resourceVersion on every update)."""
    return "resourceVersion" not in obj["metadata"]


def _pvc(obj: Obj, _: TemplateDefaults) -> None:
    if _creating(obj):  # the StorageObjectInUseProtection admission plugin's, on create only
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if PVC_PROTECTION not in finalizers:
            finalizers.append(PVC_PROTECTION)
    spec = _spec(obj)
    if spec is not None:
        spec.setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _replication_controller(obj: Obj, template: TemplateDefaults) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    template(spec)
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if labels:
        spec.setdefault("selector", dict(labels))
        obj["metadata"].setdefault("labels", dict(labels))
    spec.setdefault("replicas", 1)
    obj.setdefault("status", {}).setdefault("replicas", 0)


def _job_spec(spec: Obj, meta: Obj, template: TemplateDefaults) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template(spec)
    if spec.get("manualSelector") or not meta.get("uid"):
        return
    uid, name = meta["uid"], meta.get("name", "")
    spec.setdefault("selector", {"matchLabels": {JOB_CONTROLLER_UID: uid}})
    spec["manualSelector"] = False
    labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
    for key, value in (
        (JOB_CONTROLLER_UID, uid),
        (JOB_NAME, name),
        (LEGACY_JOB_UID, uid),
        (LEGACY_JOB_NAME, name),
    ):
        labels.setdefault(key, value)
    if not meta.get("labels"):  # a Job without labels takes its pods'
        meta["labels"] = dict(labels)


def _job(obj: Obj, template: TemplateDefaults) -> None:
    spec = _spec(obj)
    if spec is not None:
        _job_spec(spec, obj["metadata"], template)
    obj.setdefault("status", {})


def _cronjob(obj: Obj, template: TemplateDefaults) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict):
        job_template.setdefault("metadata", {})
        if isinstance(job_template.get("spec"), dict):
            template(job_template["spec"])
    obj.setdefault("status", {})


def _hpa(obj: Obj, _: TemplateDefaults) -> None:
    status = obj.setdefault("status", {})
    status.setdefault("desiredReplicas", 0)
    status.setdefault("currentMetrics", None)
    spec = _spec(obj)
    if spec is None:
        return
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        target = {"type": "Utilization", "averageUtilization": 80}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up = behavior.setdefault("scaleUp", {})
        up.setdefault("stabilizationWindowSeconds", 0)
        up.setdefault("selectPolicy", "Max")
        up.setdefault(
            "policies",
            [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        )
        down = behavior.setdefault("scaleDown", {})
        down.setdefault("selectPolicy", "Max")
        down.setdefault("policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _ingress(obj: Obj, _: TemplateDefaults) -> None:
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _network_policy(obj: Obj, _: TemplateDefaults) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    spec.setdefault("podSelector", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _crd(obj: Obj, _: TemplateDefaults) -> None:
    """Names and conversion defaulted; the status an established CRD has (kubesim serves it at once)."""
    spec = _spec(obj)
    if spec is None:
        return
    names = spec.get("names") or {}
    kind = str(names.get("kind", ""))
    if kind:
        names.setdefault("singular", kind.lower())
        names.setdefault("listKind", f"{kind}List")
    spec.setdefault("conversion", {"strategy": "None"})
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    stored = [str(v.get("name")) for v in versions if v.get("storage")]
    status = obj.setdefault("status", {})
    status["acceptedNames"] = dict(names)
    status["storedVersions"] = sorted(set(status.get("storedVersions") or []) | set(stored))
    status["conditions"] = [
        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
         "message": "the initial names have been accepted"},
    ]  # fmt: skip


DEFAULTS: dict[str, Callable[[Obj, TemplateDefaults], None]] = {
    "persistentvolumeclaims": _pvc,
    "replicationcontrollers": _replication_controller,
    "jobs": _job,
    "cronjobs": _cronjob,
    "horizontalpodautoscalers": _hpa,
    "ingresses": _ingress,
    "networkpolicies": _network_policy,
    "customresourcedefinitions": _crd,
}
