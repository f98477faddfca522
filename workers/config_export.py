"""What ``backup config`` saves: which objects are configuration (not made by a controller, a kubelet or the
cluster itself) and each as a backup keeps it (no status, no server-set metadata), in apply order."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from shared.messages import backups as wording
from workers import backup_store, cluster
from workers.errors import JobError
from workers.exported_kinds import CRD_TYPE, EXPORTED_TYPES, SECRET_TYPE, custom_types, definitions
from workers.kube import list_all, read

_object_key = backup_store.object_key


def _forbidden(error: JobError) -> bool:
    cause = error.__cause__
    return isinstance(cause, ApiException) and cause.status == 403


MADE_BY_THE_CLUSTER_SECRET_TYPES = frozenset({"kubernetes.io/service-account-token", "helm.sh/release.v1"})
"""Secret types a controller or tool writes (tokens, release records): not configuration."""

SERVER_SET_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)
"""Metadata the API server sets (or that names objects of this cluster only); a backup drops it."""

SERVER_SET_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)

MADE_BY_THE_CLUSTER_LABELS = (("kubernetes.io/bootstrapping", "rbac-defaults"),)
"""Labels of objects the control plane writes itself (the default RBAC roles and bindings)."""

CREATED_BY_THE_CLUSTER = frozenset(
    {
        ("ConfigMap", "kube-root-ca.crt"),
        ("ServiceAccount", "default"),
        ("Service", "kubernetes"),
    }
)
"""Objects every namespace (or the default one) gets from the control plane itself: not configuration."""


def is_exported(kind: str, obj: Mapping[str, Any]) -> bool:
    """Whether an object is configuration: not made by a controller, a kubelet or the cluster itself."""
    meta = obj.get("metadata") or {}
    if (kind, meta.get("name")) in CREATED_BY_THE_CLUSTER:
        return False
    labels = meta.get("labels") or {}
    if any(labels.get(key) == value for key, value in MADE_BY_THE_CLUSTER_LABELS):
        return False
    if kind in ("ClusterRole", "ClusterRoleBinding") and str(meta.get("name", "")).startswith("system:"):
        return False
    if any(ref.get("controller") for ref in meta.get("ownerReferences") or []):
        return False
    if meta.get("deletionTimestamp"):
        return False
    if kind == "Secret" and obj.get("type") in MADE_BY_THE_CLUSTER_SECRET_TYPES:
        return False
    if kind == "Pod":
        annotations = meta.get("annotations") or {}
        if "kubernetes.io/config.mirror" in annotations:
            return False
        if (obj.get("status") or {}).get("phase") in {"Succeeded", "Failed"}:
            return False
    return True


def clean(kind: str, api_version: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object as a backup keeps it: no status, no server-set metadata, no cluster-assigned IPs."""
    cleaned = copy.deepcopy(dict(obj))
    cleaned.pop("status", None)
    meta = cleaned.setdefault("metadata", {})
    for field in SERVER_SET_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    for key in SERVER_SET_ANNOTATIONS:
        annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    if kind == "Namespace":
        meta.pop("namespace", None)
    if kind == "Service":
        spec = cleaned.get("spec") or {}
        if spec.get("clusterIP") != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    if kind == "Job":
        _drop_generated_selector(cleaned)
    if kind == "PersistentVolumeClaim":
        for key in list(annotations):
            if key.startswith(PVC_BINDING_ANNOTATIONS):
                del annotations[key]
        if not annotations:
            meta.pop("annotations", None)
    return {
        "apiVersion": api_version,
        "kind": kind,
        **{k: v for k, v in cleaned.items() if k not in ("apiVersion", "kind")},
    }


JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
"""The labels the API server gives a Job's pod template (and selector) on the Job's own uid."""

PVC_BINDING_ANNOTATIONS = ("pv.kubernetes.io/", "volume.kubernetes.io/", "volume.beta.kubernetes.io/")
"""Annotations the volume binder writes on a claim: where it was bound, by whom."""


def _drop_generated_selector(job: dict[str, Any]) -> None:
    """A Job's selector and its labels on its uid (its pods' and its own) are generated at create: a restore
    must not send them."""
    spec = job.get("spec") or {}
    if spec.get("manualSelector"):
        return
    spec.pop("selector", None)
    for labels in (
        ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {},
        (job.get("metadata") or {}).get("labels") or {},
    ):
        for key in JOB_UID_LABELS:
            labels.pop(key, None)


def collect_config(
    namespace: str | None, *, include_secrets: bool = False, unlisted: list[str] | None = None
) -> list[dict[str, Any]]:
    """The clean documents of one namespace (``None``: every namespace, Namespaces and cluster-scoped kinds
    included), in apply order, custom objects last; a namespace's backup starts with the CRDs of the
    custom objects it holds.

    Secrets (with their data) only with ``include_secrets``: the policy grants that as ``backup secrets``.
    A custom resource the workers may not list (their role grants the built-in kinds only) is left out
    and named in ``unlisted``, so the backup says what it lacks rather than failing.
    """
    documents: list[dict[str, Any]] = []
    if namespace is None:
        namespaces, _ = list_all(cluster.core().list_namespace, missing="the namespaces list is missing")
        documents.extend(clean("Namespace", "v1", ns) for ns in namespaces)
    else:
        read(cluster.core().read_namespace, namespace, missing=wording.namespace_not_found(namespace))
    crds = definitions()
    custom = custom_types(crds)
    built_in = (SECRET_TYPE, *EXPORTED_TYPES) if include_secrets else EXPORTED_TYPES
    used: list[Mapping[str, Any]] = []
    for exported in (*built_in, *(exported for exported, _ in custom)):
        if namespace is not None and not exported.namespaced:
            continue
        missing = wording.namespace_not_found(namespace) if namespace is not None else None
        try:
            items = exported.items(namespace, missing=missing)
        except JobError as error:
            if not (exported.list_arguments and _forbidden(error)):
                raise
            if unlisted is not None:
                unlisted.append(f"{exported.kind}.{dict(exported.list_arguments)['group']}")
            continue
        chosen = [
            clean(exported.kind, exported.api_version, item)
            for item in items
            if is_exported(exported.kind, item)
        ]
        documents.extend(sorted(chosen, key=_object_key))
        used.extend(crd for defined, crd in custom if defined is exported and chosen)
    if namespace is not None:
        documents[:0] = [clean(CRD_TYPE.kind, CRD_TYPE.api_version, crd) for crd in used]
    return documents
