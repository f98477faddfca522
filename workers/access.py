"""Before a job acting as a person touches anything: may that person do every call the job makes?

Each command's registry entry lists the API permissions its job uses (the same calls deploy/'s worker
ClusterRole grants the bot). A job that acts as its requester asks the API server, through a SelfSubjectAccessReview
sent as that person, about each one before its first read or write, so a plan for a drain the person
may not do fails at once, naming the missing permission and the server's reason, before any approver
is asked. An approval never grants what the cluster's RBAC refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubernetes import client

from shared.command_spec import CommandSpec
from shared.messages import access as messages
from shared.permissions import Permission
from workers import cluster, impersonation
from workers.errors import JobError


def check(
    command: CommandSpec, *, namespace: str | None, job_kwargs: Mapping[str, Any] | None = None
) -> None:
    """Raise :class:`JobError` naming every permission the job's person lacks for ``command``.

    ``command.permissions`` lists what its job may call (``backup list`` and ``backup show`` read
    only the backup store: none); a rollout of a DaemonSet or StatefulSet (the job's ``kind`` in
    ``job_kwargs``) calls what ``command.permissions_by_kind`` lists for that kind. The etcd jobs
    list none at all: they reach etcd with the worker's certificates, not the API as a person, so
    where a cluster runs jobs as the requester they are refused. Asked as the identity the job acts as (:mod:`workers.impersonation`): the server answers
    for that person, so the worker needs no right to review others' access.
    """
    needed = command.permissions_for(job_kwargs or {})
    if needed is None:
        raise JobError(messages.not_as_a_person(operation=command.function_name))
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
