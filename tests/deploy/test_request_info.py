"""kubesim's audit log sees requests the way the API server's RequestInfo resolver does."""

from __future__ import annotations

import pytest

from kubesim.audit import AuditLog, RequestInfo, request_info


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/api/v1/nodes", {}, ("list", "", "nodes", "", "", "")),
        ("GET", "/api/v1/nodes", {"watch": "true"}, ("watch", "", "nodes", "", "", "")),
        ("GET", "/api/v1/nodes/node-1", {}, ("get", "", "nodes", "", "", "node-1")),
        ("PATCH", "/api/v1/nodes/node-1", {}, ("patch", "", "nodes", "", "", "node-1")),
        ("PUT", "/api/v1/nodes/node-1/status", {}, ("update", "", "nodes", "status", "", "node-1")),
        (
            "POST",
            "/api/v1/namespaces/default/pods/web-1/eviction",
            {},
            ("create", "", "pods", "eviction", "default", "web-1"),
        ),
        (
            "DELETE",
            "/api/v1/namespaces/default/pods",
            {},
            ("deletecollection", "", "pods", "", "default", ""),
        ),
        (
            "DELETE",
            "/api/v1/namespaces/default/pods/web-1",
            {},
            ("delete", "", "pods", "", "default", "web-1"),
        ),
        (
            "GET",
            "/apis/apps/v1/namespaces/default/deployments/web/scale",
            {},
            ("get", "apps", "deployments", "scale", "default", "web"),
        ),
        (
            "GET",
            "/apis/policy/v1/poddisruptionbudgets",
            {},
            ("list", "policy", "poddisruptionbudgets", "", "", ""),
        ),
        (
            "GET",
            "/api/v1/namespaces/kube-system",
            {},
            ("get", "", "namespaces", "", "kube-system", "kube-system"),
        ),
        (
            "PUT",
            "/api/v1/namespaces/old/finalize",
            {},
            ("update", "", "namespaces", "finalize", "old", "old"),
        ),
        ("GET", "/api/v1/watch/namespaces/default/pods", {}, ("watch", "", "pods", "", "default", "")),
        (
            "GET",
            "/api/v1/pods",
            {"fieldSelector": "metadata.name=web-1"},
            ("list", "", "pods", "", "", "web-1"),
        ),
        ("HEAD", "/apis/apps/v1/daemonsets", {}, ("list", "apps", "daemonsets", "", "", "")),
    ],
)
def test_a_resource_request_gets_the_verb_group_resource_and_scope_the_authorizer_uses(
    method: str, path: str, query: dict[str, str], expected: tuple[str, ...]
) -> None:
    """Verbs come from the method (GET without a name is list or watch, DELETE without one deletecollection)."""
    info = request_info(method, path, query)
    assert info.is_resource_request
    assert (info.verb, info.api_group, info.resource, info.subresource, info.namespace, info.name) == expected


@pytest.mark.parametrize(
    "path", ["/version", "/api", "/api/v1", "/apis", "/apis/apps/v1", "/openapi/v3", "/healthz"]
)
def test_discovery_and_health_paths_are_non_resource_requests_with_the_method_as_verb(path: str) -> None:
    """Paths with no resource in them are authorized by URL, as ``get``."""
    info = request_info("GET", path, {})
    assert not info.is_resource_request
    assert (info.verb, info.path) == ("get", path)


def test_the_rbac_name_of_a_subresource_joins_resource_and_subresource() -> None:
    """``pods/eviction`` is how a role names the eviction subresource."""
    assert request_info("POST", "/api/v1/namespaces/a/pods/p/eviction", {}).resource_path == "pods/eviction"


def test_the_log_keeps_requests_in_order_up_to_its_capacity() -> None:
    """The oldest records go first once the log is full."""
    log = AuditLog(capacity=2)
    for name in ("a", "b", "c"):
        log.record(RequestInfo(method="GET", path=f"/api/v1/nodes/{name}", verb="get"))
    assert [info.path for info in log.records()] == ["/api/v1/nodes/b", "/api/v1/nodes/c"]
    log.clear()
    assert log.records() == []
