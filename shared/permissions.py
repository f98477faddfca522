"""The API permissions a command's job uses, checked before a job acting as a person touches anything.

Each entry of the registry lists the calls its job makes (the same calls deploy/'s worker ClusterRole
grants the bot); :mod:`workers.access` asks the API server about each one as the job's person. Pure
data: this module names permissions, the worker asks about them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Permission:
    """One verb on one resource, cluster-wide or in the job's namespace."""

    verb: str
    resource: str
    group: str = ""
    subresource: str = ""
    namespaced: bool = False
    """Checked in the job's namespace (a Deployment's); otherwise across the cluster (a node's pods)."""

    @property
    def resource_name(self) -> str:
        """``pods/eviction``, ``deployments.apps`` and the like, as kubectl names them."""
        name = self.resource if not self.group else f"{self.resource}.{self.group}"
        return f"{name}/{self.subresource}" if self.subresource else name


NODE_READ = (Permission("get", "nodes"),)
NODE_WRITE = (*NODE_READ, Permission("patch", "nodes"))
DRAIN = (
    *NODE_WRITE,
    Permission("list", "pods"),
    Permission("create", "pods", subresource="eviction"),
    Permission("get", "daemonsets", group="apps"),
    Permission("list", "poddisruptionbudgets", group="policy"),
)
NODE_LIST = (Permission("list", "nodes"), Permission("list", "pods"))
DEPLOYMENT_READ = (
    Permission("get", "deployments", group="apps", namespaced=True),
    Permission("list", "replicasets", group="apps", namespaced=True),
)
DEPLOYMENT_WRITE = (*DEPLOYMENT_READ, Permission("patch", "deployments", group="apps", namespaced=True))
DEPLOYMENT_SCALE = (
    Permission("get", "deployments", group="apps", subresource="scale", namespaced=True),
    Permission("patch", "deployments", group="apps", subresource="scale", namespaced=True),
)
CONFIGURATION_READ = tuple(
    Permission("list", resource, group=group)
    for resource, group in (
        ("namespaces", ""),
        ("configmaps", ""),
        ("services", ""),
        ("serviceaccounts", ""),
        ("deployments", "apps"),
        ("daemonsets", "apps"),
        ("statefulsets", "apps"),
        ("poddisruptionbudgets", "policy"),
    )
)
SECRETS_READ = (*CONFIGURATION_READ, Permission("list", "secrets"))


def _workload_permissions(plural: str) -> dict[str, tuple[Permission, ...]]:
    read = (
        Permission("get", plural, group="apps", namespaced=True),
        Permission("list", "controllerrevisions", group="apps", namespaced=True),
    )
    return {
        "status": (
            Permission("list", plural, group="apps", namespaced=True),
            Permission("watch", plural, group="apps", namespaced=True),
        ),
        "history": read,
        "rollback": (*read, Permission("patch", plural, group="apps", namespaced=True)),
    }


DEPLOYMENT_STATUS = (
    Permission("list", "deployments", group="apps", namespaced=True),
    Permission("watch", "deployments", group="apps", namespaced=True),
)
"""``status`` follows a rollout as kubectl does: a list, then a watch from its version."""
_DAEMONSET = _workload_permissions("daemonsets")
_STATEFULSET = _workload_permissions("statefulsets")


def workload_permissions(command: str) -> tuple[tuple[str, tuple[Permission, ...]], ...]:
    """What ``rollback``, ``history`` or ``status`` (``command``) calls on a DaemonSet or a StatefulSet,
    by the job's ``kind``: the workload itself and its ControllerRevisions."""
    return (("daemonset", _DAEMONSET[command]), ("statefulset", _STATEFULSET[command]))
