"""RBAC rule evaluation as the API server's authorizer does it, to hold recorded requests against a role.

:func:`allows` follows ``k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go``: a rule grants a
resource request when its verbs, API groups, resources (``resource/subresource``, ``*`` and
``*/subresource``) and resource names match, and a non-resource request when its verbs and
``nonResourceURLs`` (exact, ``*``, or a ``prefix*``) match. :func:`check` reports what a set of rules
refuses and which of its grants no request used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubesim.audit import RequestInfo

ALL = "*"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolicyRule:
    """One ``rules[]`` entry of a Role or ClusterRole."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, rule: Mapping[str, Any]) -> PolicyRule:
        """A rule as it appears in a rendered manifest."""
        return cls(
            verbs=tuple(rule.get("verbs") or ()),
            api_groups=tuple(rule.get("apiGroups") or ()),
            resources=tuple(rule.get("resources") or ()),
            resource_names=tuple(rule.get("resourceNames") or ()),
            non_resource_urls=tuple(rule.get("nonResourceURLs") or ()),
        )

    def grants(self) -> list[Grant]:
        """Each (verb, group, resource) this rule grants, one by one."""
        if self.non_resource_urls:
            return [
                Grant(verb, "", url, non_resource=True)
                for verb in self.verbs
                for url in self.non_resource_urls
            ]
        return [
            Grant(verb, group, resource)
            for verb in self.verbs
            for group in self.api_groups
            for resource in self.resources
        ]


@dataclasses.dataclass(frozen=True, order=True)
class Grant:
    """One verb on one resource of one group (or on one non-resource URL)."""

    verb: str
    api_group: str
    resource: str
    non_resource: bool = False

    def __str__(self) -> str:
        if self.non_resource:
            return f"{self.verb} {self.resource}"
        return f"{self.verb} {self.resource}" + (f".{self.api_group}" if self.api_group else "")


DISCOVERY_RULES = (
    PolicyRule(
        verbs=("get",),
        non_resource_urls=(
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/healthz",
            "/livez",
            "/openapi",
            "/openapi/*",
            "/readyz",
            "/version",
            "/version/",
        ),
    ),
)
"""What every authenticated client may read without a role of its own (the default ``system:discovery``
and ``system:public-info-viewer`` ClusterRoles): API discovery, OpenAPI, health and version."""


def rules_of(role: Mapping[str, Any]) -> list[PolicyRule]:
    """The rules of a rendered Role or ClusterRole."""
    return [PolicyRule.from_json(rule) for rule in role.get("rules") or []]


def bound_rules(
    objects: Sequence[Mapping[str, Any]], *, namespace: str, service_account: str
) -> list[PolicyRule]:
    """Every rule of every ClusterRole a rendered ClusterRoleBinding grants to one ServiceAccount."""
    roles = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "ClusterRole"}
    rules: list[PolicyRule] = []
    for binding in objects:
        if binding["kind"] != "ClusterRoleBinding":
            continue
        if any(
            subject.get("kind") == "ServiceAccount"
            and subject.get("name") == service_account
            and subject.get("namespace") == namespace
            for subject in binding.get("subjects") or []
        ):
            rules.extend(rules_of(roles[binding["roleRef"]["name"]]))
    return rules


def _has(values: Sequence[str], wanted: str) -> bool:
    return ALL in values or wanted in values


def _resource_matches(rule: PolicyRule, info: RequestInfo) -> bool:
    wanted = info.resource_path
    for resource in rule.resources:
        if resource in (ALL, wanted):
            return True
        if info.subresource and resource == f"*/{info.subresource}":
            return True
    return False


def _url_matches(rule: PolicyRule, path: str) -> bool:
    for url in rule.non_resource_urls:
        if url in (ALL, path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


def rule_allows(rule: PolicyRule, info: RequestInfo) -> bool:
    """Whether one rule grants one request."""
    if not _has(rule.verbs, info.verb):
        return False
    if not info.is_resource_request:
        return _url_matches(rule, info.path)
    if rule.non_resource_urls:
        return False
    return (
        _has(rule.api_groups, info.api_group)
        and _resource_matches(rule, info)
        and (not rule.resource_names or info.name in rule.resource_names)
    )


def allows(rules: Iterable[PolicyRule], info: RequestInfo) -> bool:
    """Whether any of ``rules`` grants the request (RBAC only adds; nothing denies)."""
    return any(rule_allows(rule, info) for rule in rules)


def grant_of(info: RequestInfo) -> Grant:
    """The grant a request needs, in the role's own terms."""
    if not info.is_resource_request:
        return Grant(info.verb, "", info.path, non_resource=True)
    return Grant(info.verb, info.api_group, info.resource_path)


@dataclasses.dataclass(frozen=True)
class Report:
    """How a role fared against the requests a workload made."""

    refused: tuple[Grant, ...]
    """What was asked for and not granted: each would be a 403 Forbidden in a real cluster."""
    unused: tuple[Grant, ...]
    """What the role grants and no request used: privilege to take away."""


def check(rules: Sequence[PolicyRule], requests: Iterable[RequestInfo]) -> Report:
    """Hold every request against ``rules`` (plus the discovery every client has) and report."""
    everyone = [*rules, *DISCOVERY_RULES]
    refused: set[Grant] = set()
    used: set[Grant] = set()
    for info in requests:
        if allows(everyone, info):
            used.update(
                g for rule in rules if rule_allows(rule, info) for g in rule.grants() if _covers(g, info)
            )
        else:
            refused.add(grant_of(info))
    granted = {grant for rule in rules for grant in rule.grants()}
    return Report(refused=tuple(sorted(refused)), unused=tuple(sorted(granted - used)))


def _covers(grant: Grant, info: RequestInfo) -> bool:
    single = PolicyRule(verbs=(grant.verb,), api_groups=(grant.api_group,), resources=(grant.resource,))
    if grant.non_resource:
        single = PolicyRule(verbs=(grant.verb,), non_resource_urls=(grant.resource,))
    return rule_allows(single, info)
