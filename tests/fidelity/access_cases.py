"""Fidelity cases of requests made as someone else (``kubectl --as``, the run-as-requester jobs):
RBAC refusals, access reviews and ``whoami``, on both servers from the same RBAC objects."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.fidelity.cases import PODS, Case, _web_pod_on
from tests.fidelity.wire import Answer, Wire

AS_ALICE = {"Impersonate-User": "alice@example.com"}
AS_NODE_TENDER = {"Impersonate-User": "bob@example.com", "Impersonate-Group": "node-tenders"}
RBAC = "/apis/rbac.authorization.k8s.io/v1"
REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
SELF_REVIEW = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
WHO = ("status.userInfo.username", "status.userInfo.groups")


def _as(method: str, path: str, headers: dict[str, str], body: object = None) -> Callable[[Wire], Answer]:
    return lambda wire: wire.request(method, path, body, headers=headers)


def _review(
    verb: str, resource: str, headers: dict[str, str], *, namespace: str = ""
) -> Callable[[Wire], Answer]:
    attributes = {"verb": verb, "resource": resource, **({"namespace": namespace} if namespace else {})}
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}  # fmt: skip
    return _as("POST", REVIEWS, headers, body)


def _eviction_as_alice(wire: Wire) -> Answer:
    pod = _web_pod_on(wire, "node-1")
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod, "namespace": "default"},
    }
    answer = wire.request("POST", f"{PODS}/{pod}/eviction", eviction, headers=AS_ALICE)
    # The pod's generated name differs between the servers; what is said about it must not.
    return Answer(answer.status, answer.content_type, json.loads(json.dumps(answer.body).replace(pod, "POD")))


def _granted_review(wire: Wire) -> Answer:
    """A group bound to a ClusterRole that may get nodes: allowed, with RBAC's reason."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "fidelity-node-reader"},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]}  # fmt: skip
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "fidelity-node-readers"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "fidelity-node-reader"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                             "name": "node-tenders"}]}  # fmt: skip
    wire.request("POST", f"{RBAC}/clusterroles", role)
    wire.request("POST", f"{RBAC}/clusterrolebindings", binding)
    deadline_reads = 50
    answer = _review("get", "nodes", AS_NODE_TENDER)(wire)
    while deadline_reads and not (answer.body.get("status") or {}).get("allowed"):
        deadline_reads -= 1  # the real authorizer reads bindings from its informer cache
        answer = _review("get", "nodes", AS_NODE_TENDER)(wire)
    return answer


ACCESS_CASES: tuple[Case, ...] = (
    Case("access", "a list RBAC refuses", _as("GET", "/api/v1/nodes", AS_ALICE)),
    Case("access", "an eviction RBAC refuses", _eviction_as_alice),
    Case(
        "access",
        "can-i, refused",
        _review("list", "pods", AS_ALICE, namespace="default"),
        ("status.allowed",),
    ),
    Case("access", "can-i, allowed by a binding", _granted_review, ("status.allowed", "status.reason")),
    Case("access", "whoami with a group", _as("POST", WHOAMI, AS_NODE_TENDER, SELF_REVIEW), WHO),
)
