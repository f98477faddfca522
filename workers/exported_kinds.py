"""The kinds ``backup config`` saves and ``backup restore`` compares, and how each is listed: the built-in
configuration kinds in apply order (what others refer to first), then the objects of every custom
resource the cluster's CustomResourceDefinitions define.

Cluster-scoped kinds (ClusterRoles, ClusterRoleBindings, CRDs, cluster-scoped custom objects) belong to an
all-namespaces backup; a namespace's backup carries the CRDs of the custom objects it holds, so that it
restores on a cluster without them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from shared.messages import backups as wording
from workers import cluster
from workers.kube import list_all


@dataclasses.dataclass(frozen=True)
class ExportedType:
    """One kind the configuration backup saves, and the client calls that list it."""

    kind: str
    api_version: str
    api: Callable[[], Any]
    namespaced_list: str
    all_list: str
    namespaced: bool = True
    list_arguments: tuple[tuple[str, str], ...] = ()
    """Keyword arguments every list call takes (a custom resource's group, version and plural)."""

    def items(self, namespace: str | None, *, missing: str | None = None) -> list[Any]:
        """The live objects of this kind in `namespace` (None: everywhere), every page."""
        api = self.api()
        arguments = dict(self.list_arguments)
        if namespace is None or not self.namespaced:
            call = getattr(api, self.all_list)
        else:
            call = getattr(api, self.namespaced_list)
            arguments["namespace"] = namespace
        items, _ = list_all(call, missing=missing or wording.list_missing(self.kind), **arguments)
        return items


def _rbac(kind: str, plural: str, *, namespaced: bool) -> ExportedType:
    if namespaced:
        return ExportedType(kind, "rbac.authorization.k8s.io/v1", cluster.rbac, f"list_namespaced_{plural}",
                            f"list_{plural}_for_all_namespaces")  # fmt: skip
    return ExportedType(
        kind, "rbac.authorization.k8s.io/v1", cluster.rbac, "", f"list_{plural}", namespaced=False
    )


CRD_TYPE = ExportedType(
    "CustomResourceDefinition",
    "apiextensions.k8s.io/v1",
    cluster.apiextensions,
    "",
    "list_custom_resource_definition",
    namespaced=False,
)

EXPORTED_TYPES: tuple[ExportedType, ...] = (
    CRD_TYPE,
    _rbac("ClusterRole", "cluster_role", namespaced=False),
    _rbac("ClusterRoleBinding", "cluster_role_binding", namespaced=False),
    ExportedType("ServiceAccount", "v1", cluster.core, "list_namespaced_service_account", "list_service_account_for_all_namespaces"),
    _rbac("Role", "role", namespaced=True),
    _rbac("RoleBinding", "role_binding", namespaced=True),
    ExportedType("ConfigMap", "v1", cluster.core, "list_namespaced_config_map", "list_config_map_for_all_namespaces"),
    ExportedType("PersistentVolumeClaim", "v1", cluster.core, "list_namespaced_persistent_volume_claim", "list_persistent_volume_claim_for_all_namespaces"),
    ExportedType("Service", "v1", cluster.core, "list_namespaced_service", "list_service_for_all_namespaces"),
    ExportedType("NetworkPolicy", "networking.k8s.io/v1", cluster.networking, "list_namespaced_network_policy", "list_network_policy_for_all_namespaces"),
    ExportedType("PodDisruptionBudget", "policy/v1", cluster.policy, "list_namespaced_pod_disruption_budget", "list_pod_disruption_budget_for_all_namespaces"),
    ExportedType("Deployment", "apps/v1", cluster.apps, "list_namespaced_deployment", "list_deployment_for_all_namespaces"),
    ExportedType("StatefulSet", "apps/v1", cluster.apps, "list_namespaced_stateful_set", "list_stateful_set_for_all_namespaces"),
    ExportedType("DaemonSet", "apps/v1", cluster.apps, "list_namespaced_daemon_set", "list_daemon_set_for_all_namespaces"),
    ExportedType("ReplicationController", "v1", cluster.core, "list_namespaced_replication_controller", "list_replication_controller_for_all_namespaces"),
    ExportedType("Job", "batch/v1", cluster.batch, "list_namespaced_job", "list_job_for_all_namespaces"),
    ExportedType("CronJob", "batch/v1", cluster.batch, "list_namespaced_cron_job", "list_cron_job_for_all_namespaces"),
    ExportedType("HorizontalPodAutoscaler", "autoscaling/v2", cluster.autoscaling, "list_namespaced_horizontal_pod_autoscaler", "list_horizontal_pod_autoscaler_for_all_namespaces"),
    ExportedType("Ingress", "networking.k8s.io/v1", cluster.networking, "list_namespaced_ingress", "list_ingress_for_all_namespaces"),
    ExportedType("Pod", "v1", cluster.core, "list_namespaced_pod", "list_pod_for_all_namespaces"),
)  # fmt: skip
"""In apply order: definitions and identities first, then what pods and workloads refer to, then workloads.
Secrets only when asked (below); custom objects after all of these."""

SECRET_TYPE = ExportedType(
    "Secret", "v1", cluster.core, "list_namespaced_secret", "list_secret_for_all_namespaces"
)
"""Exported by ``backup secrets`` (``backup config --include-secrets``), before the service accounts."""

NAMESPACE_TYPE = ExportedType("Namespace", "v1", cluster.core, "", "list_namespace", namespaced=False)


def custom_type(crd: Mapping[str, Any]) -> ExportedType | None:
    """How the objects a CRD defines are listed (its storage version), or None if it serves none."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    chosen = next((v for v in versions if v.get("storage")), versions[0] if versions else None)
    if chosen is None or not names.get("plural") or not names.get("kind"):
        return None
    group, version = str(spec.get("group")), str(chosen.get("name"))
    return ExportedType(
        str(names["kind"]),
        f"{group}/{version}",
        cluster.custom_objects,
        "list_namespaced_custom_object",
        "list_cluster_custom_object",
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        list_arguments=(("group", group), ("version", version), ("plural", str(names["plural"]))),
    )


def definitions() -> list[Mapping[str, Any]]:
    """The cluster's CustomResourceDefinitions, by name."""
    return sorted(CRD_TYPE.items(None), key=lambda crd: str(crd["metadata"]["name"]))


def custom_types(crds: list[Mapping[str, Any]]) -> list[tuple[ExportedType, Mapping[str, Any]]]:
    """Each servable custom resource with the CRD that defines it."""
    found = [(custom_type(crd), crd) for crd in crds]
    return [(exported, crd) for exported, crd in found if exported is not None]


def types_by_kind(crds: list[Mapping[str, Any]]) -> dict[str, ExportedType]:
    """Every kind a backup may hold (custom kinds included), by kind."""
    every = [*EXPORTED_TYPES, SECRET_TYPE, NAMESPACE_TYPE, *(exported for exported, _ in custom_types(crds))]
    return {exported.kind: exported for exported in every}
