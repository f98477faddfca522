"""The requests of the fidelity suite, by area. Each case sends the same requests to a server (setting
the scene first where it needs one) and returns the answer to compare, with the paths whose values
must agree. The list follows what the workers and kubectl's maintenance commands send, plus the
error cases an operator meets."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from tests.fidelity.wire import Answer, Wire

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
PODS = "/api/v1/namespaces/default/pods"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
PDB = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
HELD = "chatops.test/held"


@dataclasses.dataclass(frozen=True)
class Case:
    area: str
    name: str
    run: Callable[[Wire], Answer]
    values: tuple[str, ...] = ()


def _get(path: str) -> Callable[[Wire], Answer]:
    return lambda wire: wire.request("GET", path)


def _resources(path: str, names: tuple[str, ...]) -> Callable[[Wire], Answer]:
    """A discovery document reduced to the verbs of the named resources."""

    def run(wire: Wire) -> Answer:
        answer = wire.request("GET", path)
        listed = {r["name"]: sorted(r.get("verbs") or []) for r in (answer.body or {}).get("resources", [])}
        return Answer(answer.status, answer.content_type, {name: listed.get(name) for name in names})

    return run


def _web_pod_on(wire: Wire, node: str) -> str:
    listed = wire.request("GET", f"{PODS}?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3D{node}").body
    return str(listed["items"][0]["metadata"]["name"])


def _budget_observed(wire: Wire) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        budget = wire.request("GET", PDB).body
        if (budget.get("status") or {}).get("observedGeneration", 0) >= budget["metadata"].get(
            "generation", 0
        ):
            return
        time.sleep(0.1)


def _blocked_eviction(wire: Wire) -> Answer:
    wire.request("PATCH", PDB, {"spec": {"minAvailable": 3}}, content_type=MERGE)
    _budget_observed(wire)
    pod = _web_pod_on(wire, "node-1")
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod, "namespace": "default"},
    }
    answer = wire.request("POST", f"{PODS}/{pod}/eviction", eviction)
    wire.request("PATCH", PDB, {"spec": {"minAvailable": 2}}, content_type=MERGE)
    _budget_observed(wire)
    return answer


def _evict_missing(wire: Wire) -> Answer:
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "nope", "namespace": "default"},
    }
    return wire.request("POST", f"{PODS}/nope/eviction", eviction)


def _post(path: str, body: Mapping[str, Any]) -> Callable[[Wire], Answer]:
    """A create that should be refused; what a server accepted anyway is deleted again."""

    def run(wire: Wire) -> Answer:
        answer = wire.request("POST", path, dict(body))
        if answer.status == 201:
            wire.request("DELETE", f"{path.split('?', maxsplit=1)[0]}/{body['metadata']['name']}")
        return answer

    return run


def _invalid_replicas(wire: Wire) -> Answer:
    answer = wire.request("PATCH", f"{DEPLOYMENTS}/web", {"spec": {"replicas": -1}}, content_type=MERGE)
    if answer.status == 200:
        wire.request("PATCH", f"{DEPLOYMENTS}/web", {"spec": {"replicas": 3}}, content_type=MERGE)
    return answer


def _patch(path: str, body: Any, content_type: str) -> Callable[[Wire], Answer]:
    return lambda wire: wire.request("PATCH", path, body, content_type=content_type)


def _rolled_out(wire: Wire, path: str) -> None:
    """Wait (at most 20 s) until a Deployment's rollout is complete, so that no answer catches one
    mid-way: the beds' kubelets start pods at different speeds."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = wire.request("GET", path).body
        status = body.get("status") or {}
        if (
            status.get("observedGeneration", 0) >= body["metadata"].get("generation", 0)
            and not status.get("unavailableReplicas")
            and status.get("updatedReplicas") == status.get("replicas") == body["spec"].get("replicas")
        ):
            return
        time.sleep(0.1)


def _patch_settled(path: str, body: Any, content_type: str) -> Callable[[Wire], Answer]:
    """A patch of a Deployment once its last rollout is complete."""

    def run(wire: Wire) -> Answer:
        _rolled_out(wire, path)
        return wire.request("PATCH", path, body, content_type=content_type)

    return run


def _events(answer: Answer) -> Answer:
    """A watch stream as its event types (and an error's code and reason)."""
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    events = []
    for line in text.splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        obj = event.get("object") or {}
        events.append(
            f"{event['type']} {obj.get('code', '')} {obj.get('reason', '')}".strip()
            if event["type"] == "ERROR"
            else event["type"]
        )
    return Answer(answer.status, answer.content_type, events)


def _watch_from_the_start(wire: Wire) -> Answer:
    return _events(
        wire.request(
            "GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=2"
        )
    )


def _watch_new_object(wire: Wire) -> Answer:
    listed = wire.request("GET", "/api/v1/namespaces/default/configmaps").body
    version = listed["metadata"]["resourceVersion"]
    wire.request(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "watched"}, "data": {"a": "1"}}
    )
    return _events(
        wire.request(
            "GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={version}&timeoutSeconds=2"
        )
    )


def _two_pages(wire: Wire) -> Answer:
    first = wire.request("GET", "/api/v1/pods?limit=4").body
    token = (first.get("metadata") or {}).get("continue", "")
    second = wire.request("GET", f"/api/v1/pods?limit=4&continue={token}").body if token else {}
    summary = {
        "first": len(first.get("items") or []),
        "continues": bool(token),
        "remainingItemCount": (first.get("metadata") or {}).get("remainingItemCount"),
        "second": len(second.get("items") or []),
    }
    return Answer(200, "application/json", summary)


def _exact(version: Callable[[str], str]) -> Callable[[Wire], Answer]:
    """A configmaps list with resourceVersionMatch=Exact at a version derived from the current one
    (the list's names only, when it is a list)."""

    def run(wire: Wire) -> Answer:
        current = wire.request("GET", CONFIGMAPS).body["metadata"]["resourceVersion"]
        wanted = version(current)
        query = (
            f"resourceVersion={wanted}&resourceVersionMatch=Exact" if wanted else "resourceVersionMatch=Exact"
        )
        answer = wire.request("GET", f"{CONFIGMAPS}?{query}")
        if isinstance(answer.body, Mapping) and answer.body.get("kind") == "ConfigMapList":
            names = sorted(item["metadata"]["name"] for item in answer.body["items"])
            return Answer(
                answer.status,
                answer.content_type,
                {"names": names, "at": answer.body["metadata"]["resourceVersion"] == wanted},
            )
        if isinstance(answer.body, Mapping) and answer.body.get("kind") == "Status":  # versions differ
            body = {**answer.body, "message": re.sub(r"\d+", "N", str(answer.body.get("message")))}
            return Answer(answer.status, answer.content_type, body)
        return answer

    return run


def _dry_run_then_read(wire: Wire) -> Answer:
    """The planned object, what is stored after, and the generation the plan adds (the beds' scenarios
    reach the same Deployment through different histories, so only the bump is compared)."""
    planned = wire.request(
        "PATCH", f"{DEPLOYMENTS}/web?dryRun=All", {"spec": {"replicas": 5}}, content_type=MERGE
    )
    stored = wire.request("GET", f"{DEPLOYMENTS}/web").body
    bump = planned.body["metadata"]["generation"] - stored["metadata"]["generation"]
    return Answer(
        planned.status,
        planned.content_type,
        {"planned": planned.body, "stored": stored["spec"]["replicas"], "bump": bump},
    )


def _dry_run_create(path: str, body: Mapping[str, Any]) -> Callable[[Wire], Answer]:
    """A create with dryRun=All, then whether anything was stored."""

    def run(wire: Wire) -> Answer:
        planned = wire.request("POST", f"{path}?dryRun=All", dict(body))
        stored = wire.request("GET", f"{path}/{body['metadata']['name']}")
        if not isinstance(planned.body, Mapping) or planned.body.get("kind") == "Status":
            return planned
        return Answer(
            planned.status, planned.content_type, {"planned": planned.body, "stored": stored.status}
        )

    return run


def _in_a_terminating_namespace(wire: Wire) -> Answer:
    """A create in a namespace held in Terminating by a finalizer, which is released after."""
    namespace = "fidelity-doomed"
    configmaps = f"/api/v1/namespaces/{namespace}/configmaps"
    wire.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    wire.request("POST", configmaps, {"metadata": {"name": "held", "finalizers": [HELD]}})
    wire.request("DELETE", f"/api/v1/namespaces/{namespace}")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        phase = (wire.request("GET", f"/api/v1/namespaces/{namespace}").body.get("status") or {}).get("phase")
        if phase == "Terminating":
            break
        time.sleep(0.1)
    answer = wire.request("POST", configmaps, {"metadata": {"name": "late"}})
    wire.request("PATCH", f"{configmaps}/held", {"metadata": {"finalizers": None}}, content_type=MERGE)
    return answer


def _apply(manager: str, value: str, *, force: bool = False) -> Callable[[Wire], Answer]:
    document = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"owner": value}}
    )
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    return lambda wire: wire.request(
        "PATCH", f"/api/v1/namespaces/default/configmaps/applied{query}", document, content_type=APPLY
    )


def _applies(*steps: tuple[str, dict[str, str]]) -> Callable[[Wire], Answer]:
    """Applies of one ConfigMap's data by managers in turn; the last answer (its data when it is the object)."""

    def run(wire: Wire) -> Answer:
        answer = Answer(0, "", None)
        for manager, data in steps:
            document = json.dumps(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"}, "data": data}
            )
            answer = wire.request(
                "PATCH", f"{CONFIGMAPS}/owned?fieldManager={manager}", document, content_type=APPLY
            )
        wire.request("DELETE", f"{CONFIGMAPS}/owned")
        return answer

    return run


def _apply_without_manager(wire: Wire) -> Answer:
    document = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nameless"}})
    return wire.request(
        "PATCH", "/api/v1/namespaces/default/configmaps/nameless", document, content_type=APPLY
    )


def _deployment(name: str, **spec: Any) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": BUSYBOX}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": template, **spec},
    }


def _configmap(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": dict(labels or {})}}


def _renewed(wire: Wire) -> Answer:
    """Whether node-1's lease is renewed within twelve seconds (the kubelet renews it every ten)."""
    path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1"
    first = wire.request("GET", path)
    if first.status != 200:
        return first
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        later = wire.request("GET", path).body
        if later["spec"].get("renewTime") != first.body["spec"].get("renewTime"):
            return Answer(200, first.content_type, {"renewed": True})
        time.sleep(0.5)
    return Answer(200, first.content_type, {"renewed": False})


def _first_event(path: str, reason: str, kind: str) -> Callable[[Wire], Answer]:
    """The first Event of a reason about an object of a kind, as a list at `path` serves it (v1 or
    events.k8s.io/v1, whose objects name the object `regarding`)."""

    def run(wire: Wire) -> Answer:
        listed = wire.request("GET", path)
        items = (listed.body or {}).get("items") or [] if isinstance(listed.body, Mapping) else []
        found = [
            item
            for item in items
            if item.get("reason") == reason
            and (item.get("involvedObject") or item.get("regarding") or {}).get("kind") == kind
        ]
        return Answer(listed.status, listed.content_type, found[0] if found else {"found": None})

    return run


EVENTS_V1 = "/apis/events.k8s.io/v1/namespaces/default/events"
CORE_EVENTS = "/api/v1/namespaces/default/events"
NO_CONTAINERS = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "empty"}, "spec": {"containers": []}}
BUSYBOX = [{"name": "main", "image": "busybox:1.36"}]
MISMATCHED = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "mismatched"},
    "spec": {
        "selector": {"matchLabels": {"app": "one"}},
        "template": {"metadata": {"labels": {"app": "two"}}, "spec": {"containers": BUSYBOX}},
    },
}
NO_SELECTOR = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "unselected"},
    "spec": {"template": {"metadata": {"labels": {"app": "two"}}, "spec": {"containers": BUSYBOX}}},
}
NO_IMAGE = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "imageless"},
    "spec": {"containers": [{"name": "main"}]},
}
BAD_LABEL = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "labelled", "labels": {"bad label": "x"}},
}

EVENT_CASES = (
    Case(
        "events",
        "a Deployment's ScalingReplicaSet (v1)",
        _first_event(CORE_EVENTS, "ScalingReplicaSet", "Deployment"),
        ("type", "source", "reportingComponent", "count", "involvedObject.apiVersion"),
    ),
    Case(
        "events",
        "a ReplicaSet's SuccessfulCreate (v1)",
        _first_event(CORE_EVENTS, "SuccessfulCreate", "ReplicaSet"),
        ("type", "source", "reportingComponent", "count"),
    ),
    Case(
        "events",
        "a StatefulSet's SuccessfulCreate (v1)",
        _first_event(CORE_EVENTS, "SuccessfulCreate", "StatefulSet"),
        ("type", "source", "message"),
    ),
    Case(
        "events",
        "a Deployment's ScalingReplicaSet (events.k8s.io/v1)",
        _first_event(EVENTS_V1, "ScalingReplicaSet", "Deployment"),
        ("type", "reportingController", "deprecatedSource", "deprecatedCount"),
    ),
    Case(
        "events",
        "the scheduler's Scheduled (events.k8s.io/v1)",
        _first_event(EVENTS_V1, "Scheduled", "Pod"),
        ("type", "reportingController", "action"),
    ),
    Case(
        "events",
        "the scheduler's Scheduled (v1)",
        _first_event(CORE_EVENTS, "Scheduled", "Pod"),
        ("type", "source", "reportingComponent", "action", "firstTimestamp"),
    ),
)

CASES: tuple[Case, ...] = (
    *EVENT_CASES,
    Case(
        "discovery",
        "core/v1 verbs",
        _resources(
            "/api/v1",
            (
                "pods",
                "pods/eviction",
                "pods/log",
                "nodes",
                "namespaces",
                "events",
                "configmaps",
                "secrets",
                "serviceaccounts",
            ),
        ),
    ),
    Case(
        "discovery",
        "apps/v1 verbs",
        _resources(
            "/apis/apps/v1",
            (
                "deployments",
                "deployments/scale",
                "replicasets",
                "daemonsets",
                "statefulsets",
                "controllerrevisions",
            ),
        ),
    ),
    Case(
        "discovery",
        "policy/v1 verbs",
        _resources("/apis/policy/v1", ("poddisruptionbudgets", "poddisruptionbudgets/status")),
    ),
    Case("discovery", "events.k8s.io/v1 served", _get("/apis/events.k8s.io/v1")),
    Case("discovery", "coordination.k8s.io/v1 served", _get("/apis/coordination.k8s.io/v1")),
    Case(
        "reads",
        "a node",
        _get("/api/v1/nodes/node-1"),
        ("spec.unschedulable", "status.nodeInfo.kubeletVersion"),
    ),
    Case(
        "reads",
        "a Deployment",
        _get(f"{DEPLOYMENTS}/web"),
        ("spec.replicas", "spec.strategy", "status.replicas"),
    ),
    Case(
        "reads",
        "a PodDisruptionBudget",
        _get(PDB),
        ("status.desiredHealthy", "status.currentHealthy", "status.disruptionsAllowed"),
    ),
    Case("reads", "the default ServiceAccount", _get("/api/v1/namespaces/default/serviceaccounts/default")),
    Case("paging", "limit and continue", _two_pages, ("first", "continues", "remainingItemCount", "second")),
    Case(
        "reads",
        "node Leases",
        _get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1"),
        ("spec.leaseDurationSeconds",),  # holderIdentity: a kubelet's node name, KWOK's own id
    ),
    Case("reads", "the kube-node-lease namespace", _get("/api/v1/namespaces/kube-node-lease"), ("status",)),
    Case("reads", "a lease is renewed", _renewed),
    Case(
        "reads",
        "ControllerRevisions of a DaemonSet",
        _get("/apis/apps/v1/namespaces/kube-system/controllerrevisions"),
    ),
    Case(
        "errors",
        "409 on an existing namespace",
        _post(
            "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        ),
    ),
    Case(
        "errors",
        "404 on a namespace that does not exist",
        _post(
            "/api/v1/namespaces/nowhere/configmaps",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
        ),
    ),
    Case("eviction", "429 from a budget", _blocked_eviction),
    Case("eviction", "404 for a missing pod", _evict_missing),
    Case(
        "dry run",
        "a dry-run scale",
        _dry_run_then_read,
        ("planned.spec.replicas", "bump", "stored"),
    ),
    Case(
        "patch",
        "JSON patch",
        _patch(f"{DEPLOYMENTS}/api", [{"op": "replace", "path": "/spec/replicas", "value": 3}], JSON_PATCH),
        ("spec.replicas",),
    ),
    Case(
        "patch",
        "JSON patch with a failing test",
        _patch(f"{DEPLOYMENTS}/api", [{"op": "test", "path": "/spec/replicas", "value": 99}], JSON_PATCH),
    ),
    Case(
        "patch",
        "merge patch",
        _patch_settled(f"{DEPLOYMENTS}/api", {"metadata": {"annotations": {"fidelity": "yes"}}}, MERGE),
        ("metadata.annotations",),
    ),
    Case(
        "patch",
        "strategic merge of a container",
        _patch_settled(
            f"{DEPLOYMENTS}/api",
            {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "api", "image": "ghcr.io/example/api:2.4.2"}]}
                    }
                }
            },
            STRATEGIC,
        ),
        ("spec.template.spec.containers",),
    ),
    Case("apply", "server-side apply creates", _apply("fidelity-a", "a"), ("data",)),
    Case("apply", "a second manager conflicts", _apply("fidelity-b", "b")),
    Case("apply", "forced, it takes the field", _apply("fidelity-b", "b", force=True), ("data",)),
    Case("apply", "an apply without a field manager", _apply_without_manager),
    Case(
        "apply",
        "two conflicts are listed by manager",
        _applies(("fidelity-a", {"one": "1", "two": "2"}), ("fidelity-b", {"one": "x", "two": "y"})),
    ),
    Case(
        "apply",
        "the same value is shared, not a conflict",
        _applies(("fidelity-a", {"one": "1"}), ("fidelity-b", {"one": "1", "two": "2"})),
        ("data",),
    ),
    Case(
        "apply",
        "a field its manager stops applying is removed",
        _applies(("fidelity-a", {"one": "1", "two": "2"}), ("fidelity-a", {"one": "1"})),
        ("data",),
    ),
    Case(
        "apply",
        "a field another manager still applies stays",
        _applies(
            ("fidelity-a", {"one": "1", "two": "2"}),
            ("fidelity-b", {"two": "2"}),
            ("fidelity-a", {"one": "1"}),
        ),
        ("data",),
    ),
    Case("watch", "from a compacted resourceVersion", _watch_from_the_start),
    Case("watch", "an exact list at the current version", _exact(lambda current: current), ("names", "at")),
    Case("watch", "an exact list without a version", _exact(lambda current: "")),
    Case("watch", "an exact list at a future version", _exact(lambda current: str(int(current) + 100000))),
    Case("watch", "an object created after the list", _watch_new_object),
    Case("errors", "404 on a missing pod", _get(f"{PODS}/nope")),
    Case("errors", "422 on replicas -1", _invalid_replicas),
    Case("errors", "422 on a pod without containers", _post(PODS, NO_CONTAINERS)),
    Case("errors", "422 on a selector that does not match", _post(DEPLOYMENTS, MISMATCHED)),
    Case("errors", "422 on an invalid label key", _post("/api/v1/namespaces/default/configmaps", BAD_LABEL)),
    Case("errors", "422 on an invalid name", _post(CONFIGMAPS, _configmap("Bad_Name"))),
    Case(
        "errors",
        "422 on an invalid label value",
        _post(CONFIGMAPS, _configmap("valued", {"a": "bad value!"})),
    ),
    Case("errors", "422 on a Deployment without a selector", _post(DEPLOYMENTS, NO_SELECTOR)),
    Case("errors", "422 on a container without an image", _post(PODS, NO_IMAGE)),
    Case(
        "errors",
        "422 on a rolling update that can never progress",
        _post(
            DEPLOYMENTS,
            _deployment(
                "stuck",
                strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
            ),
        ),
    ),
    Case(
        "errors",
        "422 on a changed selector",
        _patch(
            f"{DEPLOYMENTS}/web",
            {
                "spec": {
                    "selector": {"matchLabels": {"app": "web", "x": "y"}},
                    "template": {"metadata": {"labels": {"x": "y"}}},
                }
            },
            MERGE,
        ),
    ),
    Case(
        "errors",
        "422 on a negative scale",
        _patch(f"{DEPLOYMENTS}/api/scale", {"spec": {"replicas": -1}}, MERGE),
    ),
    Case(
        "errors",
        "422 on a JSON patch of a missing path",
        _patch(f"{DEPLOYMENTS}/api", [{"op": "remove", "path": "/spec/nothing"}], JSON_PATCH),
    ),
    Case("errors", "403 creating in a Terminating namespace", _in_a_terminating_namespace),
    Case(
        "errors",
        "400 on unknown fields under strict validation",
        _post(f"{CONFIGMAPS}?fieldValidation=Strict", {**_configmap("strict"), "bogus": 1}),
    ),
    Case(
        "errors",
        "400 on an unknown field deep in a Deployment",
        _post(f"{DEPLOYMENTS}?fieldValidation=Strict", _deployment("deep", replicaz=1)),
    ),
    Case("dry run", "an invalid dry-run create is refused", _dry_run_create(PODS, NO_CONTAINERS)),
    Case(
        "dry run",
        "a dry-run create is defaulted and stores nothing",
        _dry_run_create(DEPLOYMENTS, _deployment("planned")),
        ("planned.spec", "stored"),
    ),
)
