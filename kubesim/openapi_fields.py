"""The types and descriptions of fields in kubesim's OpenAPI documents (kubesim.openapi): kubesim's field
lists name fields but do not type them, and across the Kubernetes API a field name mostly means one type.
A field not listed is an object kubesim does not model (``<Object>`` in ``kubectl explain``)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

_INTEGER = (
    "replicas minReadySeconds revisionHistoryLimit progressDeadlineSeconds terminationGracePeriodSeconds "
    "activeDeadlineSeconds priority generation deletionGracePeriodSeconds parallelism completions backoffLimit "
    "successfulJobsHistoryLimit failedJobsHistoryLimit minReplicas maxReplicas count revision "
    "startingDeadlineSeconds ttlSecondsAfterFinished backoffLimitPerIndex maxFailedIndexes"
)
_BOOLEAN = (
    "paused hostNetwork hostPID hostIPC shareProcessNamespace automountServiceAccountToken enableServiceLinks "
    "setHostnameAsFQDN hostUsers stdin stdinOnce tty immutable suspend manualSelector"
)
_STRING = (
    "apiVersion kind name generateName namespace selfLink uid resourceVersion creationTimestamp "
    "deletionTimestamp image workingDir restartPolicy dnsPolicy serviceAccountName serviceAccount nodeName "
    "hostname subdomain schedulerName priorityClassName runtimeClassName preemptionPolicy imagePullPolicy "
    "terminationMessagePath terminationMessagePolicy serviceName podManagementPolicy type reason message "
    "schedule timeZone concurrencyPolicy storageClassName volumeMode volumeName ingressClassName "
    "completionMode podReplacementPolicy firstTimestamp lastTimestamp eventTime action reportingComponent "
    "reportingInstance"
)
_STRING_MAP = "labels annotations nodeSelector data stringData binaryData"
_STRING_LIST = "command args finalizers"
_OBJECT_LIST = (
    "ownerReferences managedFields volumes tolerations env envFrom ports volumeMounts volumeDevices "
    "imagePullSecrets rules subjects secrets ephemeralContainers hostAliases readinessGates "
    "topologySpreadConstraints schedulingGates resourceClaims volumeClaimTemplates resizePolicy "
    "restartPolicyRules"
)
LEAVES: dict[str, Obj] = {
    **{name: {"type": "integer", "format": "int32"} for name in _INTEGER.split()},
    **{name: {"type": "boolean"} for name in _BOOLEAN.split()},
    **{name: {"type": "string"} for name in _STRING.split()},
    **{name: {"type": "object", "additionalProperties": {"type": "string"}} for name in _STRING_MAP.split()},
    **{name: {"type": "array", "items": {"type": "string"}} for name in _STRING_LIST.split()},
    **{name: {"type": "array", "items": {"type": "object"}} for name in _OBJECT_LIST.split()},
}

DESCRIPTIONS: dict[str, str] = {
    "apiVersion": "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
    "kind": "Kind is a string value representing the REST resource this object represents. Servers may "
    "infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.",
    "metadata": "Standard object's metadata.",
    "spec": "Specification of the desired behavior of the {kind}.",
    "status": "Most recently observed status of the {kind}. Populated by the system. Read-only.",
    "replicas": "Number of desired pods. This is a pointer to distinguish between explicit zero and not "
    "specified. Defaults to 1.",
    "selector": "Label selector for pods. It must match the pod template's labels.",
    "template": "Template describes the pods that will be created.",
    "containers": "List of containers belonging to the pod. Containers cannot currently be added or removed. "
    "There must be at least one container in a Pod. Cannot be updated.",
    "image": "Container image name.",
    "name": "Name must be unique within a namespace.",
    "labels": "Map of string keys and values that can be used to organize and categorize (scope and select) "
    "objects.",
    "annotations": "Annotations is an unstructured key value map stored with a resource that may be set by "
    "external tools to store and retrieve arbitrary metadata.",
}
KINDS: dict[str, str] = {
    "Pod": "Pod is a collection of containers that can run on a host. This resource is created by clients "
    "and scheduled onto hosts.",
    "Deployment": "Deployment enables declarative updates for Pods and ReplicaSets.",
    "ObjectMeta": "ObjectMeta is metadata that all persisted resources must have, which includes all objects "
    "users must create.",
    "PodSpec": "PodSpec is a description of a pod.",
    "Container": "A single application container that you want to run within a pod.",
    "PodTemplateSpec": "PodTemplateSpec describes the data a pod should have when created from a template",
}


def leaf(owner: str, key: str) -> Obj:
    """The OpenAPI type of a field kubesim does not model as a structure."""
    if key == "selector" and owner.endswith(("ReplicationControllerSpec", "ServiceSpec")):
        return dict(LEAVES["labels"])
    return dict(LEAVES.get(key, {"type": "object"}))


def describe(owner: str, key: str) -> str:
    """A field's description (`key` ""): the component's own)."""
    kind = owner.rsplit(".", 1)[-1]
    if not key:
        return KINDS.get(kind) or f"{kind} as kubesim serves it."
    if key in ("spec", "status"):
        return DESCRIPTIONS[key].format(kind=kind)
    return DESCRIPTIONS.get(key, "")
