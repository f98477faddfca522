"""Sentences about acting as the requester: who a job acts as, and what the cluster's RBAC refused."""

from __future__ import annotations

from collections.abc import Sequence

from shared.messages.approvals import mention
from shared.text_safety import code, escape


def missing_permission(*, verb: str, resource: str, namespace: str | None, reason: str) -> str:
    """One permission the person lacks: ``patch nodes`` (cluster-wide) or in a namespace."""
    where = f" in namespace {code(namespace)}" if namespace else " (cluster-wide)"
    why = f": {escape(reason)}" if reason else ""
    return f"{code(f'{verb} {resource}')}{where}{why}"


def forbidden(*, missing: Sequence[str]) -> str:
    """The job acts as its requester, whose RBAC on the cluster does not allow all it would do."""
    return (
        "The cluster's RBAC does not let the person who asked do this. Missing: " + "; ".join(missing) + "."
    )


def not_as_a_person(*, operation: str) -> str:
    """An operation that cannot act as a person (it reaches etcd or the backup store, not the API)."""
    return (
        f"{code(operation)} cannot act as the person who asked (this cluster runs jobs as the requester), "
        "so it was not run. An admin can run it on a cluster whose jobs run as the bot."
    )


def unmapped(*, user: str, cluster: str) -> str:
    """A requester with no Kubernetes identity, where jobs run as the requester."""
    return (
        f"Jobs on cluster {code(cluster)} act as the person who asked, and {mention(user)} has no "
        "Kubernetes identity in the policy (`identities:`), so nothing was queued. Ask an admin to add you."
    )


def acting_as(*, user: str, groups: Sequence[str]) -> str:
    """Who a job acted as on the cluster, for its timeline entry."""
    shown = f" (groups {', '.join(code(group) for group in groups)})" if groups else ""
    return f"Acting as Kubernetes user {code(user)}{shown}."
