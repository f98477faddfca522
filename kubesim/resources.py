"""The catalogue of resource types kubesim serves (names, kinds, scopes, verbs, as discovery shows them) and
the defaults the API server fills into new objects of each type (so clients' required fields are present)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesim import kind_defaults

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One REST resource (plural name) of one API group/version."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    custom: bool = False
    """Defined by a CustomResourceDefinition (kubesim.crds), not built in."""

    @property
    def api_version(self) -> str:
        """The apiVersion objects of this type carry: "v1" for the core group, else "group/version"."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        """Same as api_version; named for discovery documents."""
        return self.api_version

    @property
    def qualified(self) -> str:
        """The "plural.group" form the API server uses in messages (`deployments.apps`, plain `pods`)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        """The kind of a list response (`PodList`)."""
        return f"{self.kind}List"


def _rt(
    group: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    version: str = "v1",
) -> ResourceType:
    return ResourceType(
        group=group,
        version=version,
        plural=plural,
        singular=kind.lower(),
        kind=kind,
        namespaced=namespaced,
        short_names=short,
        subresources=sub,
    )


CONFIGURATION_TYPES = (
    _rt("", "persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), sub=("status",)),
    _rt("", "replicationcontrollers", "ReplicationController", short=("rc",), sub=("status", "scale")),
    _rt("batch", "jobs", "Job", sub=("status",)),
    _rt("batch", "cronjobs", "CronJob", short=("cj",), sub=("status",)),
    _rt(
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        sub=("status",),
        version="v2",
    ),
    _rt("networking.k8s.io", "ingresses", "Ingress", short=("ing",), sub=("status",)),
    _rt("networking.k8s.io", "networkpolicies", "NetworkPolicy", short=("netpol",)),
    _rt(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        sub=("status",),
    ),
)
"""The kinds a configuration backup covers beyond workloads (issue 14, item 9): stored as written, with
the server's defaults; no controller acts on them (a Job runs no pods here)."""

METRICS = "metrics.k8s.io/v1beta1"
METRICS_TYPES = (
    dataclasses.replace(
        _rt("metrics.k8s.io", "nodes", "NodeMetrics", namespaced=False),
        version="v1beta1",
        verbs=("get", "list"),
    ),
    dataclasses.replace(
        _rt("metrics.k8s.io", "pods", "PodMetrics"), version="v1beta1", verbs=("get", "list")
    ),
)
"""Computed, never stored: metrics-server's resources (kubesim.metrics_api), listed in discovery as it
lists them (no singular name, get and list only)."""

RBAC = "rbac.authorization.k8s.io"
RBAC_TYPES = (
    _rt(RBAC, "roles", "Role"),
    _rt(RBAC, "rolebindings", "RoleBinding"),
    _rt(RBAC, "clusterroles", "ClusterRole", namespaced=False),
    _rt(RBAC, "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
)
"""The RBAC objects :mod:`kubesim.rbac` decides impersonated requests by."""
REVIEW_TYPES = (
    dataclasses.replace(
        _rt("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", namespaced=False),
        verbs=("create",),
    ),
    dataclasses.replace(
        _rt("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", namespaced=False),
        verbs=("create",),
    ),
)
"""Asked, never stored: answered by :mod:`kubesim.access` for whoever the request acts as."""

RESOURCES: dict[str, ResourceType] = {
    rt.plural: rt
    for rt in (
        _rt("", "namespaces", "Namespace", namespaced=False, short=("ns",), sub=("status",)),
        _rt("", "nodes", "Node", namespaced=False, short=("no",), sub=("status",)),
        _rt("", "pods", "Pod", short=("po",), sub=("status", "eviction", "log")),
        _rt("", "events", "Event", short=("ev",)),
        _rt("", "configmaps", "ConfigMap", short=("cm",)),
        _rt("", "services", "Service", short=("svc",), sub=("status",)),
        _rt("", "secrets", "Secret"),
        _rt("", "serviceaccounts", "ServiceAccount", short=("sa",)),
        _rt("apps", "deployments", "Deployment", short=("deploy",), sub=("status", "scale")),
        _rt("apps", "replicasets", "ReplicaSet", short=("rs",), sub=("status", "scale")),
        _rt("apps", "daemonsets", "DaemonSet", short=("ds",), sub=("status",)),
        _rt("apps", "statefulsets", "StatefulSet", short=("sts",), sub=("status", "scale")),
        _rt("apps", "controllerrevisions", "ControllerRevision"),
        _rt("policy", "poddisruptionbudgets", "PodDisruptionBudget", short=("pdb",), sub=("status",)),
        _rt("coordination.k8s.io", "leases", "Lease"),
        *CONFIGURATION_TYPES,
        *RBAC_TYPES,
        *REVIEW_TYPES,
    )
}

VIEWS: dict[str, ResourceType] = {"events.k8s.io/v1": _rt("events.k8s.io", "events", "Event", short=("ev",))}
"""Group/versions that serve a stored resource in another shape: events.k8s.io/v1 Events are the core
Events (kubesim.events converts them)."""

BY_KIND: dict[str, ResourceType] = {rt.kind: rt for rt in RESOURCES.values()}

GROUP_VERSIONS: tuple[str, ...] = (
    "v1",
    "apps/v1",
    "events.k8s.io/v1",
    "autoscaling/v2",
    "batch/v1",
    "networking.k8s.io/v1",
    "policy/v1",
    "apiextensions.k8s.io/v1",
    "coordination.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "authorization.k8s.io/v1",
    "authentication.k8s.io/v1",
    METRICS,
)
"""Every group/version served, core first, in discovery order."""


Custom = Mapping[str, ResourceType]
"""The custom resources a store serves, by plural (kubesim.crds)."""


def group_versions(custom: Custom | None = None) -> list[str]:
    """Every group/version served: the built-in ones, then those of custom resources."""
    extra = {rt.api_version: None for rt in (custom or {}).values()}
    return [*GROUP_VERSIONS, *(gv for gv in extra if gv not in GROUP_VERSIONS)]


def resources_in(group_version: str, custom: Custom | None = None) -> list[ResourceType]:
    """The resource types served under one group/version ("v1", "apps/v1")."""
    if group_version in VIEWS:
        return [VIEWS[group_version]]
    if group_version == METRICS:
        return list(METRICS_TYPES)
    every = [*RESOURCES.values(), *(custom or {}).values()]
    return [rt for rt in every if rt.api_version == group_version]


def lookup(group_version: str, plural: str, custom: Custom | None = None) -> ResourceType | None:
    """The resource type at `/api[s]/<group_version>/<plural>`, or None if it is not served there."""
    view = VIEWS.get(group_version)
    if view is not None:
        return view if view.plural == plural else None
    rt = RESOURCES.get(plural) or (custom or {}).get(plural)
    if rt is None or rt.api_version != group_version:
        return None
    return rt


# ---- defaulting -----------------------------------------------------------------------------------------

NODE_TTL_ANNOTATION = "node.alpha.kubernetes.io/ttl"
GENERATION_KEPT = frozenset(
    {
        "pods",
        "deployments",
        "replicasets",
        "daemonsets",
        "statefulsets",
        "poddisruptionbudgets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
        "ingresses",
        "networkpolicies",
        "horizontalpodautoscalers",
        "customresourcedefinitions",
    }
)
"""The resources whose objects have a metadata.generation (not Leases, Events, ConfigMaps, Nodes...)."""

NODE_INFO_FIELDS = (
    "architecture",
    "bootID",
    "containerRuntimeVersion",
    "kernelVersion",
    "kubeProxyVersion",
    "kubeletVersion",
    "machineID",
    "operatingSystem",
    "osImage",
    "systemUUID",
)


def _default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        if not isinstance(container, dict):
            continue
        image = str(container.get("image", ""))
        tag = image.rsplit("/", 1)[-1]
        latest = ":" not in tag or tag.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
        container.setdefault("resources", {})
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        for port in container.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def _default_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        pod_spec = template.setdefault("spec", {})
        if isinstance(pod_spec, dict):
            _default_pod_spec(pod_spec)


def _zero_status(obj: dict[str, Any], fields: tuple[str, ...]) -> None:
    status = obj.setdefault("status", {})
    for name in fields:
        status.setdefault(name, 0)


def apply_defaults(resource: str, obj: dict[str, Any]) -> None:
    """Fill the defaults kube-apiserver would (in place), including the status fields clients require."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = None
    meta = obj["metadata"]
    configuration = kind_defaults.DEFAULTS.get(resource)
    if configuration is not None:
        configuration(obj, _default_template)
    elif resource == "pods":
        if spec is not None:
            _default_pod_spec(spec)
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
    elif resource in ("deployments", "replicasets", "statefulsets", "daemonsets") and spec is not None:
        _default_template(spec)
        spec.setdefault("revisionHistoryLimit", 10)
        if resource != "daemonsets":
            spec.setdefault("replicas", 1)
        if resource == "deployments":
            obj.setdefault("status", {})
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                strategy.setdefault("type", "RollingUpdate")
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxSurge", "25%")
                rolling.setdefault("maxUnavailable", "25%")
        elif resource == "daemonsets":
            strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            if strategy.get("type") == "RollingUpdate":
                strategy.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
            _zero_status(
                obj, ("currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady")
            )
        elif resource == "statefulsets":
            spec.setdefault("podManagementPolicy", "OrderedReady")
            spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
            _zero_status(obj, ("replicas",))
        elif resource == "replicasets":
            _zero_status(obj, ("replicas",))
    elif resource == "poddisruptionbudgets":
        _zero_status(obj, ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods"))
    elif resource == "namespaces":
        if meta.get("name"):
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {}).setdefault("phase", "Active")
    elif resource == "nodes":
        node_spec = obj.setdefault("spec", {})
        if node_spec.get("podCIDR"):
            node_spec.setdefault("podCIDRs", [node_spec["podCIDR"]])
        meta.setdefault("annotations", {}).setdefault(NODE_TTL_ANNOTATION, "0")  # the TTL controller's
        info = obj.get("status", {}).get("nodeInfo")
        if isinstance(info, dict):
            for name in NODE_INFO_FIELDS:
                info.setdefault(name, "")
    elif resource == "secrets":
        obj.setdefault("type", "Opaque")
    elif resource == "services" and spec is not None:
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
