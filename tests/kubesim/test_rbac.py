"""kubesim's RBAC, decided as kube-apiserver's authorizer decides it, for requests made as someone else."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.audit import request_info
from kubesim.clock import Clock
from kubesim.rbac import Subject, allowed_by, forbidden_message
from kubesim.store import Store

RBAC = "rbac.authorization.k8s.io"


@pytest.fixture(name="store")
def fixture_store() -> Store:
    store = Store(clock=Clock())
    store.create("namespaces", {"metadata": {"name": "shop"}})
    store.create(
        "clusterroles",
        role("ClusterRole", "node-tender", {"resources": ["nodes"], "verbs": ["get", "patch"]}),
    )
    store.create("clusterroles", role("ClusterRole", "scaler", {"apiGroups": ["apps"], "resources": ["*/scale"],
                                                                 "verbs": ["patch"]}))  # fmt: skip
    store.create(
        "roles",
        role("Role", "one-config", {"resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["app"]}),
        namespace="shop",
    )
    store.create("clusterrolebindings", binding("ClusterRoleBinding", "tenders", "node-tender",
                                                {"kind": "Group", "name": "sre"}))  # fmt: skip
    store.create(
        "rolebindings",
        binding(
            "RoleBinding",
            "shop-scalers",
            "scaler",
            {"kind": "User", "name": "alice"},
            role_kind="ClusterRole",
        ),
        namespace="shop",
    )
    store.create(
        "rolebindings",
        binding("RoleBinding", "shop-config", "one-config",
                {"kind": "ServiceAccount", "name": "app", "namespace": "shop"}, role_kind="Role"),
        namespace="shop",
    )  # fmt: skip
    return store


def role(kind: str, name: str, rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": kind,
        "metadata": {"name": name},
        "rules": [{"apiGroups": [""], **rule}],
    }


def binding(
    kind: str, name: str, role_name: str, subject: dict[str, str], *, role_kind: str = "ClusterRole"
) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": kind,
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role_name},
        "subjects": [subject],
    }


def may(store: Store, subject: Subject, method: str, path: str) -> bool:
    return allowed_by(store, subject, request_info(method, path, {})) is not None


def test_a_cluster_role_bound_to_a_group_allows_its_verbs_everywhere_and_nothing_else(store: Store) -> None:
    sre = Subject(user="bob", groups=("sre",))
    assert may(store, sre, "PATCH", "/api/v1/nodes/node-1")
    assert may(store, sre, "GET", "/api/v1/nodes/node-1")
    assert not may(store, sre, "GET", "/api/v1/nodes")  # list is another verb
    assert not may(store, sre, "DELETE", "/api/v1/nodes/node-1")
    assert not may(store, Subject(user="bob"), "GET", "/api/v1/nodes/node-1")
    reason = allowed_by(store, sre, request_info("GET", "/api/v1/nodes/node-1", {}))
    assert (
        reason == 'RBAC: allowed by ClusterRoleBinding "tenders" of ClusterRole "node-tender" to Group "sre"'
    )


def test_a_role_binding_grants_only_in_its_namespace_and_subresource_wildcards_match(store: Store) -> None:
    alice = Subject(user="alice")
    assert may(store, alice, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale")
    assert not may(store, alice, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert not may(store, alice, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/web")


def test_resource_names_and_service_accounts(store: Store) -> None:
    app = Subject(user="system:serviceaccount:shop:app")
    assert may(store, app, "GET", "/api/v1/namespaces/shop/configmaps/app")
    assert not may(store, app, "GET", "/api/v1/namespaces/shop/configmaps/other")
    assert not may(store, app, "GET", "/api/v1/namespaces/shop/configmaps")  # a list names no object


def test_the_refusal_is_worded_as_the_api_server_words_it() -> None:
    alice = Subject(user="alice")
    eviction = request_info("POST", "/api/v1/namespaces/shop/pods/web-1/eviction", {})
    assert forbidden_message(alice, eviction) == (
        'User "alice" cannot create resource "pods/eviction" in API group "" in the namespace "shop"'
    )
    nodes = request_info("GET", "/api/v1/nodes", {})
    assert (
        forbidden_message(alice, nodes)
        == 'User "alice" cannot list resource "nodes" in API group "" at the cluster scope'
    )
