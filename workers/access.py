"""Before a job acting as a person touches anything: may that person do every call the job makes?

Each operation lists the API permissions it uses (the same calls deploy/'s worker ClusterRole grants
the bot). A job that acts as its requester asks the API server, through a SelfSubjectAccessReview
sent as that person, about each one before its first read or write, so a plan for a drain the person
may not do fails at once, naming the missing permission and the server's reason, before any approver
is asked. An approval never grants what the cluster's RBAC refuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubernetes import client

from shared.messages import access as messages
from workers import cluster, impersonation
from workers.errors import JobError


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


_NODE_READ = (Permission("get", "nodes"),)
_NODE_WRITE = (*_NODE_READ, Permission("patch", "nodes"))
_DRAIN = (
    *_NODE_WRITE,
    Permission("list", "pods"),
    Permission("create", "pods", subresource="eviction"),
    Permission("get", "daemonsets", group="apps"),
    Permission("list", "poddisruptionbudgets", group="policy"),
)
_DEPLOYMENT_READ = (
    Permission("get", "deployments", group="apps", namespaced=True),
    Permission("list", "replicasets", group="apps", namespaced=True),
)
_DEPLOYMENT_WRITE = (*_DEPLOYMENT_READ, Permission("patch", "deployments", group="apps", namespaced=True))

NEEDED: dict[str, tuple[Permission, ...]] = {
    "cordon": _NODE_WRITE,
    "uncordon": _NODE_WRITE,
    "drain": _DRAIN,
    "maintain": _DRAIN,
    "unmaintain": _NODE_WRITE,
    "nodes": (Permission("list", "nodes"), Permission("list", "pods")),
    "status": (
        Permission("list", "deployments", group="apps", namespaced=True),
        Permission("watch", "deployments", group="apps", namespaced=True),
    ),
    "history": _DEPLOYMENT_READ,
    "rollback": _DEPLOYMENT_WRITE,
    "image": _DEPLOYMENT_WRITE,
    "strategy": _DEPLOYMENT_WRITE,
    "pause": _DEPLOYMENT_WRITE,
    "resume": _DEPLOYMENT_WRITE,
    "restart": _DEPLOYMENT_WRITE,
    "scale": (
        Permission("get", "deployments", group="apps", subresource="scale", namespaced=True),
        Permission("patch", "deployments", group="apps", subresource="scale", namespaced=True),
    ),
    "upgrade_plan": (
        Permission("list", "nodes"),
        Permission("list", "pods"),
        Permission("get", "daemonsets", "apps"),
    ),
    "upgrade_nodes": _DRAIN,
    "upgrade_control_plane": (
        Permission("list", "nodes"),
        Permission("list", "pods"),
        Permission("get", "daemonsets", group="apps"),
        Permission("patch", "daemonsets", group="apps"),
    ),
    "backup_config": tuple(
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
    ),
    "backup_list": (),
    "backup_show": (),
}
"""What each operation may call, by job function (``backup list`` and ``backup show`` read only the
backup store). The etcd jobs are not listed: they reach etcd with the worker's certificates, not the
API as a person, so where a cluster runs jobs as the requester they are refused (:func:`check`)."""
NEEDED["backup_secrets"] = (*NEEDED["backup_config"], Permission("list", "secrets"))
NEEDED["backup_restore"] = NEEDED["backup_config"]
for _plural, _kind in (("daemonsets", "daemonset"), ("statefulsets", "statefulset")):
    _read = (
        Permission("get", _plural, group="apps", namespaced=True),
        Permission("list", "controllerrevisions", group="apps", namespaced=True),
    )
    NEEDED[f"status_{_kind}"] = (
        Permission("list", _plural, group="apps", namespaced=True),
        Permission("watch", _plural, group="apps", namespaced=True),
    )
    NEEDED[f"history_{_kind}"] = _read
    NEEDED[f"rollback_{_kind}"] = (*_read, Permission("patch", _plural, group="apps", namespaced=True))


def operation_of(function: str, kwargs: Mapping[str, Any]) -> str:
    """The key of :data:`NEEDED` for a job: its function, or ``rollback_daemonset`` and the like when
    a rollback, history or status names a DaemonSet or StatefulSet (``kind``)."""
    kind = kwargs.get("kind")
    return f"{function}_{kind}" if isinstance(kind, str) and kind != "deployment" else function


def check(operation: str, *, namespace: str | None) -> None:
    """Raise :class:`JobError` naming every permission the job's person lacks for ``operation``.

    Asked as the identity the job acts as (:mod:`workers.impersonation`): the server answers for
    that person, so the worker needs no right to review others' access.
    """
    needed = NEEDED.get(operation)
    if needed is None:
        raise JobError(messages.not_as_a_person(operation=operation))
    missing = [
        (permission, reason)
        for permission in needed
        if (reason := _denied(permission, namespace)) is not None
    ]
    if missing:
        raise JobError(messages.forbidden(missing=_described(missing, namespace=namespace)))


def _denied(permission: Permission, namespace: str | None) -> str | None:
    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                verb=permission.verb,
                group=permission.group,
                resource=permission.resource,
                subresource=permission.subresource or None,
                namespace=namespace if permission.namespaced else None,
            )
        )
    )
    answer = client.AuthorizationV1Api(cluster.api_client()).create_self_subject_access_review(review)
    status = answer.status
    if status is not None and status.allowed:
        return None
    return "" if status is None else str(status.reason or status.evaluation_error or "")


def _described(missing: Sequence[tuple[Permission, str]], *, namespace: str | None) -> list[str]:
    return [
        messages.missing_permission(
            verb=permission.verb,
            resource=permission.resource_name,
            namespace=namespace if permission.namespaced else None,
            reason=reason,
        )
        for permission, reason in missing
    ]


def rehearse(send: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """The write a plan predicts, sent with ``dryRun=All`` when the job acts as a person (else nothing).

    The API server runs it through the person's RBAC and every admission check (Pod Security,
    ValidatingAdmissionPolicies, webhooks) and stores nothing, so a write the cluster would refuse
    fails the plan, in the server's words, before anyone is asked to approve it.
    """
    if impersonation.current() is not None:
        send(*args, dry_run="All", **kwargs)
