"""Specification of kubesim's wire format: discovery, lists, errors, Tables, watches, subresources, faults."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any, NamedTuple

import pytest

from kubesim.server import Simulator
from tests.kubesim.conftest import Http

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
SMP = "application/strategic-merge-patch+json"


def node(name: str, *, ready: str = "True", unschedulable: bool = False) -> dict[str, Any]:
    """A Node manifest with a Ready condition."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"node-role.kubernetes.io/worker": ""}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "conditions": [{"type": "Ready", "status": ready}],
            "nodeInfo": {"kubeletVersion": "v1.31.4"},
        },
    }


def pod(name: str, *, node_name: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Pod manifest."""
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node_name:
        spec["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }


class ErrorCase(NamedTuple):
    """A request that must fail, and how."""

    method: str
    path: str
    body: Any
    code: int
    reason: str


def watch_lines(http: Http, path: str) -> list[dict[str, Any]]:
    """Every event of a watch that ends by its own timeoutSeconds."""
    reply = http("GET", path, timeout=15)
    assert reply.status == 200
    return [json.loads(line) for line in reply.body.splitlines() if line.strip()]


def test_discovery_lists_every_served_group_and_resource(http: Http) -> None:
    """/api, /apis and the resource lists describe the resources, short names and subresources kubectl uses."""
    assert http("GET", "/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g["preferredVersion"]["groupVersion"] for g in http("GET", "/apis").json()["groups"]}
    assert groups == {
        "apps": "apps/v1",
        "events.k8s.io": "events.k8s.io/v1",
        "autoscaling": "autoscaling/v2",
        "batch": "batch/v1",
        "networking.k8s.io": "networking.k8s.io/v1",
        "policy": "policy/v1",
        "apiextensions.k8s.io": "apiextensions.k8s.io/v1",
        "coordination.k8s.io": "coordination.k8s.io/v1",
        "rbac.authorization.k8s.io": "rbac.authorization.k8s.io/v1",
        "authorization.k8s.io": "authorization.k8s.io/v1",
        "authentication.k8s.io": "authentication.k8s.io/v1",
        "metrics.k8s.io": "metrics.k8s.io/v1beta1",
    }
    core = {r["name"]: r for r in http("GET", "/api/v1").json()["resources"]}
    assert core["pods/eviction"] == {
        "name": "pods/eviction",
        "singularName": "",
        "namespaced": True,
        "kind": "Eviction",
        "verbs": ["create"],
        "group": "policy",
        "version": "v1",
    }
    assert core["nodes"]["shortNames"] == ["no"]
    assert core["nodes"]["namespaced"] is False
    apps = {r["name"]: r for r in http("GET", "/apis/apps/v1").json()["resources"]}
    assert apps["deployments/scale"]["kind"] == "Scale"
    assert apps["deployments"]["shortNames"] == ["deploy"]
    assert http("GET", "/apis/policy/v1").json()["resources"][0]["shortNames"] == ["pdb"]


def test_version_and_health_endpoints(http: Http) -> None:
    """/version has every field the Python client requires; health endpoints say ok."""
    version = http("GET", "/version").json()
    assert set(version) == {
        "major",
        "minor",
        "gitVersion",
        "gitCommit",
        "gitTreeState",
        "buildDate",
        "goVersion",
        "compiler",
        "platform",
    }
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "31", "v1.31.4")
    for path in ("/healthz", "/readyz", "/livez"):
        assert http("GET", path).body == b"ok"


def test_lists_carry_kind_api_version_and_resource_version(http: Http, empty_sim: Simulator) -> None:
    """A list is `<Kind>List` with apiVersion and metadata.resourceVersion = the current counter."""
    http("POST", "/api/v1/nodes", node("n1"))
    reply = http("GET", "/api/v1/nodes")
    body = reply.json()
    assert reply.headers["Content-Type"].startswith("application/json")
    assert (body["kind"], body["apiVersion"]) == ("NodeList", "v1")
    assert body["metadata"]["resourceVersion"] == str(empty_sim.store.resource_version)
    assert [n["metadata"]["name"] for n in body["items"]] == ["n1"]
    assert http("GET", "/apis/apps/v1/deployments").json() == {
        "kind": "DeploymentList",
        "apiVersion": "apps/v1",
        "metadata": {"resourceVersion": str(empty_sim.store.resource_version)},
        "items": [],
    }


def test_create_returns_201_and_the_stored_object(http: Http) -> None:
    """POST answers 201 with uid, resourceVersion and creationTimestamp filled in."""
    reply = http("POST", "/api/v1/namespaces/default/pods", pod("p"))
    assert reply.status == 201
    meta = reply.json()["metadata"]
    assert meta["namespace"] == "default" and meta["uid"] and meta["resourceVersion"]


def test_limit_and_continue_paginate_like_kubectl_drain(http: Http) -> None:
    """`fieldSelector=spec.nodeName=X&limit=N` pages through that node's pods only."""
    for index in range(5):
        http("POST", "/api/v1/namespaces/default/pods", pod(f"on-{index}", node_name="n1"))
    http("POST", "/api/v1/namespaces/default/pods", pod("elsewhere", node_name="n2"))
    names: list[str] = []
    path = "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=2"
    while True:
        body = http("GET", path).json()
        names += [p["metadata"]["name"] for p in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
        path = f"/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=2&continue={token}"
    assert names == [f"on-{i}" for i in range(5)]


@pytest.mark.parametrize(
    "case",
    [
        ErrorCase("GET", "/api/v1/widgets", None, 404, "NotFound"),
        ErrorCase("GET", "/apis/apps/v1/namespaces/default/deployments/web", None, 404, "NotFound"),
        ErrorCase("GET", "/api/v1/pods?fieldSelector=spec.color%3Dred", None, 400, "BadRequest"),
        ErrorCase("GET", "/api/v1/pods?labelSelector=app+in+web", None, 400, "BadRequest"),
        ErrorCase("POST", "/api/v1/namespaces/default/pods", b"{not json", 400, "BadRequest"),
        ErrorCase("PUT", "/api/v1/nodes/n1", {"metadata": {"name": "other"}}, 400, "BadRequest"),
        ErrorCase("PATCH", "/api/v1/nodes/n1", b'{"op":"add"}', 400, "BadRequest"),
        ErrorCase("PATCH", "/api/v1/nodes/n1", b'[{"op":"remove","path":"/x/y"}]', 422, "Invalid"),
        ErrorCase(
            "PUT", "/api/v1/nodes/n1", {"metadata": {"name": "n1", "resourceVersion": "1"}}, 409, "Conflict"
        ),
        ErrorCase("POST", "/api/v1/nodes", {"metadata": {"name": "n1"}}, 409, "AlreadyExists"),
        ErrorCase(
            "GET", "/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true", None, 422, "Invalid"
        ),
    ],
    ids=[
        "unknown-resource",
        "missing-object",
        "unknown-field",
        "bad-label-selector",
        "bad-json",
        "name-mismatch",
        "malformed-json-patch",
        "failing-json-patch",
        "stale-resource-version",
        "already-exists",
        "watch-list",
    ],
)
def test_errors_are_status_objects_with_the_http_code(http: Http, case: ErrorCase) -> None:
    """Every failure answers a `kind: Status` body whose code matches the HTTP status."""
    method, path, body, code, reason = case
    http("POST", "/api/v1/nodes", node("n1"))
    http("PATCH", "/api/v1/nodes/n1", {"metadata": {"labels": {"x": "y"}}}, content_type=SMP)
    raw = body if isinstance(body, bytes) else None
    content_type = "application/json-patch+json" if method == "PATCH" else None
    reply = http(method, path, None if raw else body, raw=raw, content_type=content_type)
    status = reply.json()
    assert reply.status == code
    assert (status["kind"], status["status"], status["code"], status["reason"]) == (
        "Status",
        "Failure",
        code,
        reason,
    )


def test_not_found_messages_name_the_resource_like_kube_apiserver(http: Http) -> None:
    """`deployments.apps "web" not found` is what kubectl prints after `Error from server (NotFound):`."""
    status = http("GET", "/apis/apps/v1/namespaces/default/deployments/web").json()
    assert status["message"] == 'deployments.apps "web" not found'
    assert status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_tables_give_nodes_their_status_roles_and_version(http: Http) -> None:
    """`as=Table` answers meta.k8s.io/v1 Table rows; cordoned nodes read Ready,SchedulingDisabled."""
    http("POST", "/api/v1/nodes", node("n1", unschedulable=True))
    http("POST", "/api/v1/nodes", node("n2", ready="False"))
    table = http("GET", "/api/v1/nodes?limit=500", accept=TABLE).json()
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    names = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]
    assert names == ["Name", "Status", "Roles", "Age", "Version"]
    cells = [[*row["cells"][:3], row["cells"][4]] for row in table["rows"]]
    assert cells == [
        ["n1", "Ready,SchedulingDisabled", "worker", "v1.31.4"],
        ["n2", "NotReady", "worker", "v1.31.4"],
    ]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_pod_tables_have_the_wide_columns(http: Http) -> None:
    """Pods print NAME READY STATUS RESTARTS AGE and, for -o wide, IP NODE NOMINATED NODE READINESS GATES."""
    http("POST", "/api/v1/namespaces/default/pods", pod("p", node_name="n1"))
    table = http("GET", "/api/v1/namespaces/default/pods/p", accept=TABLE).json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    cells = table["rows"][0]["cells"]
    assert [*cells[:4], *cells[5:]] == ["p", "0/1", "Pending", "0", "<none>", "n1", "<none>", "<none>"]


def test_watch_without_resource_version_starts_with_the_current_state(http: Http) -> None:
    """A fresh watch sends ADDED for existing objects, then changes, and closes after timeoutSeconds."""
    http("POST", "/api/v1/namespaces/default/pods", pod("a"))
    events = watch_lines(http, "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]


def test_watch_resumes_after_a_resource_version(http: Http, empty_sim: Simulator) -> None:
    """With resourceVersion=N only later events are sent, including DELETED."""
    http("POST", "/api/v1/namespaces/default/pods", pod("a"))
    since = empty_sim.store.resource_version
    http("POST", "/api/v1/namespaces/default/pods", pod("b"))
    http("DELETE", "/api/v1/namespaces/default/pods/a")
    events = watch_lines(http, f"/api/v1/pods?watch=1&resourceVersion={since}&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]


def test_objects_entering_and_leaving_a_selector_are_added_and_deleted(
    http: Http, empty_sim: Simulator
) -> None:
    """A label change that moves an object in or out of the selector reads as ADDED or DELETED."""
    http("POST", "/api/v1/namespaces/default/pods", pod("a", labels={"app": "db"}))
    since = empty_sim.store.resource_version
    http(
        "PATCH",
        "/api/v1/namespaces/default/pods/a",
        {"metadata": {"labels": {"app": "web"}}},
        content_type=SMP,
    )
    http(
        "PATCH",
        "/api/v1/namespaces/default/pods/a",
        {"metadata": {"labels": {"tier": "x"}}},
        content_type=SMP,
    )
    http(
        "PATCH",
        "/api/v1/namespaces/default/pods/a",
        {"metadata": {"labels": {"app": "db"}}},
        content_type=SMP,
    )
    events = watch_lines(
        http,
        f"/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dweb&resourceVersion={since}&timeoutSeconds=1",
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


def test_watch_from_a_compacted_resource_version_gets_a_410_error_event(
    http: Http, empty_sim: Simulator
) -> None:
    """Too old a resourceVersion yields one ERROR event carrying a 410 Expired Status."""
    empty_sim.store.history_limit = 1
    for index in range(4):
        http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": f"c{index}"}})
    events = watch_lines(http, "/api/v1/configmaps?watch=1&resourceVersion=2&timeoutSeconds=1")
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    assert (events[0]["object"]["code"], events[0]["object"]["reason"]) == (410, "Expired")


def test_eviction_accepts_the_python_clients_body_without_kind(http: Http) -> None:
    """POST pods/eviction with only metadata and deleteOptions answers 201 Success."""
    http("POST", "/api/v1/namespaces/default/pods", pod("p"))
    reply = http(
        "POST",
        "/api/v1/namespaces/default/pods/p/eviction",
        {"metadata": {"name": "p", "namespace": "default"}, "deleteOptions": {}},
    )
    assert reply.status == 201
    assert reply.json()["status"] == "Success"
    assert http("GET", "/api/v1/namespaces/default/pods/p").status == 404


def test_the_scale_subresource_reads_and_sets_replicas(http: Http) -> None:
    """deployments/scale speaks autoscaling/v1 Scale; patching it changes spec.replicas."""
    deployment = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    http("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    scale = http("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale").json()
    assert (scale["kind"], scale["apiVersion"], scale["spec"], scale["status"]["selector"]) == (
        "Scale",
        "autoscaling/v1",
        {"replicas": 2},
        "app=web",
    )
    patched = http(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        {"spec": {"replicas": 5}},
        content_type="application/merge-patch+json",
    ).json()
    assert patched["spec"]["replicas"] == 5
    stored = http("GET", "/apis/apps/v1/namespaces/default/deployments/web").json()
    assert (stored["spec"]["replicas"], stored["metadata"]["generation"]) == (5, 2)


def test_a_scale_patch_is_checked_against_a_resource_version_only_when_it_carries_one(http: Http) -> None:
    """A patch without a resourceVersion applies to the latest object, however often it changed; one with
    a stale resourceVersion is 409."""
    deployment = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    created = http("POST", "/apis/apps/v1/namespaces/default/deployments", deployment).json()
    path = "/apis/apps/v1/namespaces/default/deployments/web/scale"
    for size in (2, 3):
        reply = http("PATCH", path, {"spec": {"replicas": size}}, content_type="application/merge-patch+json")
        assert reply.status == 200
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}, "spec": {"replicas": 4}}
    assert http("PATCH", path, stale, content_type="application/merge-patch+json").status == 409
    assert http("GET", path).json()["spec"]["replicas"] == 3


def test_the_status_subresource_only_changes_status(http: Http) -> None:
    """PATCH nodes/status edits status and leaves spec alone."""
    http("POST", "/api/v1/nodes", node("n1"))
    patch = {
        "spec": {"unschedulable": True},
        "status": {"conditions": [{"type": "Ready", "status": "False"}]},
    }
    updated = http("PATCH", "/api/v1/nodes/n1/status", patch, content_type=SMP).json()
    assert updated["status"]["conditions"] == [{"type": "Ready", "status": "False"}]
    assert "unschedulable" not in updated["spec"]


def test_delete_collection_removes_the_selected_objects(http: Http) -> None:
    """DELETE on a collection with a label selector deletes just those objects."""
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        http("POST", "/api/v1/namespaces/default/pods", pod(name, labels={"app": app}))
    reply = http("DELETE", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")
    assert [p["metadata"]["name"] for p in reply.json()["items"]] == ["a", "b"]
    assert [p["metadata"]["name"] for p in http("GET", "/api/v1/pods").json()["items"]] == ["c"]


def test_injected_429_faults_carry_retry_after_and_run_out(http: Http) -> None:
    """A fault set through /kubesim/faults hits matching requests `times` times, then stops."""
    fault = {"action": 429, "method": "GET", "resource": "nodes", "times": 2, "retry_after": 3}
    assert http("POST", "/kubesim/faults", {"requests": [fault]}).status == 200
    first = http("GET", "/api/v1/nodes")
    assert (first.status, first.headers["Retry-After"], first.json()["reason"]) == (
        429,
        "3",
        "TooManyRequests",
    )
    assert http("GET", "/api/v1/pods").status == 200
    assert http("GET", "/api/v1/nodes").status == 429
    assert http("GET", "/api/v1/nodes").status == 200


def test_an_injected_hang_outlasts_the_clients_timeout(http: Http) -> None:
    """A `hang` fault never answers within the client's timeout."""
    http("POST", "/kubesim/faults", {"requests": [{"action": "hang", "path": "^/api/v1/nodes", "times": 1}]})
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(http.url + "/api/v1/nodes", timeout=0.5)
    assert http("DELETE", "/kubesim/faults").json()["requests"] == []
    assert http("GET", "/api/v1/nodes").status == 200


def test_openapi_v3_declares_server_side_field_validation(http: Http) -> None:
    """The OpenAPI v3 documents tag each PATCH with its GVK and a fieldValidation parameter."""
    root = http("GET", "/openapi/v3").json()
    assert set(root["paths"]) == {
        "api/v1",
        "apis/apps/v1",
        "apis/autoscaling/v2",
        "apis/batch/v1",
        "apis/networking.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/policy/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/authorization.k8s.io/v1",
        "apis/authentication.k8s.io/v1",
        "apis/events.k8s.io/v1",
        "apis/coordination.k8s.io/v1",
    }
    document = http("GET", root["paths"]["apis/apps/v1"]["serverRelativeURL"]).json()
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert patch["parameters"][0]["name"] == "fieldValidation"


def test_a_watch_ends_when_its_client_goes_away(http: Http, empty_sim: Simulator) -> None:
    """Closing the connection releases the watch within about a second, long before timeoutSeconds."""
    host, port = empty_sim.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"GET /api/v1/pods?watch=1&timeoutSeconds=600 HTTP/1.1\r\nHost: kubesim\r\n\r\n")
        assert connection.recv(1024).startswith(b"HTTP/1.1 200")
        assert empty_sim.open_watches == 1
    deadline = time.monotonic() + 5
    while empty_sim.open_watches and time.monotonic() < deadline:
        time.sleep(0.1)
    assert empty_sim.open_watches == 0


def test_protobuf_bodies_outside_the_known_kinds_are_415(http: Http) -> None:
    """A protobuf body that is not a k8s envelope of a supported kind is UnsupportedMediaType, not a 500."""
    reply = http(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        raw=b"not protobuf",
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert (reply.status, reply.json()["reason"]) == (415, "UnsupportedMediaType")
