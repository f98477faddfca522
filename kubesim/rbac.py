"""RBAC as kube-apiserver's authorizer decides it, from the Roles and bindings in kubesim's store.

kubesim serves no authentication: every caller is the cluster's admin, so RBAC applies only to a
request made as someone else, by impersonation (``Impersonate-User`` and ``Impersonate-Group``, as
``kubectl --as`` and the workers' run-as-requester jobs send them; see :mod:`kubesim.access`).

The rules are the real ones (``k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go``): a
ClusterRoleBinding grants its ClusterRole everywhere, a RoleBinding grants its Role or ClusterRole in
its own namespace; a rule matches when its verbs, API groups, resources (``pods/eviction``, ``*``,
``*/scale``) and, if any, resourceNames match; a subject matches by user name, group, or
ServiceAccount (``system:serviceaccount:NS:NAME``). Access is denied unless some rule allows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from kubesim.audit import RequestInfo
from kubesim.store import Store

AUTHENTICATED = "system:authenticated"
"""The group every authenticated user is in (the server adds it to an impersonated user)."""


@dataclasses.dataclass(frozen=True)
class Subject:
    """Who a request acts as."""

    user: str
    groups: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def allowed_by(store: Store, subject: Subject, info: RequestInfo) -> str | None:
    """The RBAC reason a rule allows ``info`` to ``subject`` ("RBAC: allowed by …"), or None: denied."""
    for binding_kind, binding, role in _grants(store, info.namespace):
        if not any(_subject_matches(entry, subject) for entry in binding.get("subjects") or []):
            continue
        if any(_rule_allows(rule, info) for rule in role.get("rules") or []):
            where = binding["metadata"].get("namespace")
            name = binding["metadata"]["name"] if not where else f"{binding['metadata']['name']}/{where}"
            return (
                f'RBAC: allowed by {binding_kind} "{name}" of {role["kind"]} "{role["metadata"]["name"]}" '
                f"to {_who(binding, subject)}"
            )
    return None


def forbidden_message(subject: Subject, info: RequestInfo) -> str:
    """The authorizer's sentence for a refusal, word for word as kube-apiserver writes it."""
    if not info.is_resource_request:
        return f'User "{subject.user}" cannot {info.verb} path "{info.path}"'
    resource = info.resource_path
    scope = f'in the namespace "{info.namespace}"' if info.namespace else "at the cluster scope"
    return f'User "{subject.user}" cannot {info.verb} resource "{resource}" in API group "{info.api_group}" {scope}'


def _grants(store: Store, namespace: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(binding kind, binding, role) for each binding that applies in ``namespace`` (or cluster-wide)."""
    for binding in _listed(store, "clusterrolebindings", None):
        role = _role(store, binding, namespace=None)
        if role is not None:
            yield "ClusterRoleBinding", binding, role
    if namespace:
        for binding in _listed(store, "rolebindings", namespace):
            role = _role(store, binding, namespace=namespace)
            if role is not None:
                yield "RoleBinding", binding, role


def _listed(store: Store, resource: str, namespace: str | None) -> list[dict[str, Any]]:
    items, _ = store.list(resource, namespace, copy=False)
    return items


def _role(store: Store, binding: dict[str, Any], *, namespace: str | None) -> dict[str, Any] | None:
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "ClusterRole":
        return store.find("clusterroles", None, str(ref.get("name", "")))
    if ref.get("kind") == "Role" and namespace:
        return store.find("roles", namespace, str(ref.get("name", "")))
    return None


def _subject_matches(entry: dict[str, Any], subject: Subject) -> bool:
    kind, name = entry.get("kind"), entry.get("name")
    if kind == "User":
        return bool(name == subject.user)
    if kind == "Group":
        return name in subject.groups
    if kind == "ServiceAccount":
        return subject.user == f"system:serviceaccount:{entry.get('namespace', '')}:{name}"
    return False


def _who(binding: dict[str, Any], subject: Subject) -> str:
    for entry in binding.get("subjects") or []:
        if _subject_matches(entry, subject):
            return f'{entry["kind"]} "{entry["name"]}"'
    return f'User "{subject.user}"'


def _rule_allows(rule: dict[str, Any], info: RequestInfo) -> bool:
    if not info.is_resource_request:
        return _has(rule.get("verbs"), info.verb) and _matches_path(
            rule.get("nonResourceURLs") or [], info.path
        )
    names = rule.get("resourceNames") or []
    return (
        _has(rule.get("verbs"), info.verb)
        and _has(rule.get("apiGroups"), info.api_group)
        and _matches_resource(rule.get("resources") or [], info)
        and (not names or info.name in names)
    )


def _has(values: Iterable[str] | None, wanted: str) -> bool:
    listed = list(values or [])
    return "*" in listed or wanted in listed


def _matches_resource(resources: list[str], info: RequestInfo) -> bool:
    if "*" in resources or info.resource_path in resources:
        return True
    return bool(info.subresource) and f"*/{info.subresource}" in resources


def _matches_path(urls: list[str], path: str) -> bool:
    return any(url in ("*", path) or (url.endswith("*") and path.startswith(url[:-1])) for url in urls)
