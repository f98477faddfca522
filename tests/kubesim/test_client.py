"""The official `kubernetes` Python client (37.0.2, pydantic models) through the kubeconfig kubesim writes.

Every call deserialises into the client's models, so a missing required field would fail here first; the
assertions then read the models back as plain JSON (`wire`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch

from kubesim.server import Simulator


@pytest.fixture(name="api")
def fixture_api(sim: Simulator, tmp_path: Path) -> Iterator[client.ApiClient]:
    """An ApiClient built by `new_client_from_config` from the simulator's kubeconfig."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield api_client
    api_client.close()


def wire(model: Any) -> Any:
    """A client model (or list of them) as the JSON the API sent."""
    return client.ApiClient().sanitize_for_serialization(model)


def names(model_list: Any) -> list[str]:
    """metadata.name of every item of a list model."""
    return [item["metadata"]["name"] for item in wire(model_list)["items"]]


def status_of(error: client.ApiException) -> dict[str, Any]:
    """The Status body of an ApiException."""
    body: dict[str, Any] = json.loads(error.body or "{}")
    return body


def test_every_default_object_deserialises_into_the_client_models(api: client.ApiClient) -> None:
    """Lists of every resource kind validate, so all required fields are present."""
    core, apps, policy = client.CoreV1Api(api), client.AppsV1Api(api), client.PolicyV1Api(api)
    nodes = wire(core.list_node())
    assert [n["metadata"]["name"] for n in nodes["items"]] == ["cp-1", "node-1", "node-2", "node-3"]
    assert nodes["metadata"]["resourceVersion"]
    assert all(n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes["items"])
    pods = wire(core.list_pod_for_all_namespaces())["items"]
    assert all(p["status"]["containerStatuses"] for p in pods if p["status"]["phase"] == "Running")
    assert "default" in names(core.list_namespace())
    assert sorted(names(apps.list_namespaced_deployment("default"))) == ["api", "web"]
    assert names(apps.list_replica_set_for_all_namespaces())
    assert names(apps.list_daemon_set_for_all_namespaces()) == ["kube-proxy", "log-agent"]
    assert names(apps.list_namespaced_stateful_set("default")) == ["cache"]
    pdb = wire(policy.read_namespaced_pod_disruption_budget("web-pdb", "default"))
    assert (pdb["status"]["expectedPods"], pdb["status"]["disruptionsAllowed"]) == (3, 1)
    assert wire(client.VersionApi(api).get_code())["gitVersion"] == "v1.31.4"


def test_pods_list_by_node_through_a_field_selector(api: client.ApiClient) -> None:
    """Field selectors work through the client, including spec.nodeName for pods."""
    pods = wire(client.CoreV1Api(api).list_pod_for_all_namespaces(field_selector="spec.nodeName=node-2"))[
        "items"
    ]
    assert "debug-shell" in {p["metadata"]["name"] for p in pods}
    assert {p["spec"]["nodeName"] for p in pods} == {"node-2"}


def test_patches_strategic_merge_json_patch_and_merge(api: client.ApiClient, sim: Simulator) -> None:
    """A dict body is a strategic merge patch, a list a JSON patch, and _content_type picks merge patch."""
    core = client.CoreV1Api(api)
    assert wire(core.patch_node("node-1", {"spec": {"unschedulable": True}}))["spec"]["unschedulable"] is True
    patched = wire(core.patch_node("node-1", [{"op": "remove", "path": "/spec/unschedulable"}]))
    assert "unschedulable" not in patched["spec"]
    deployment = client.AppsV1Api(api).patch_namespaced_deployment(
        "web",
        "default",
        {"metadata": {"labels": {"team": "shop"}}},
        _content_type="application/merge-patch+json",
    )
    assert wire(deployment)["metadata"]["labels"] == {"app": "web", "team": "shop"}
    assert sim.store.get("deployments", "default", "web")["metadata"]["labels"]["team"] == "shop"


def test_evictions_succeed_until_the_disruption_budget_is_spent(api: client.ApiClient) -> None:
    """create_namespaced_pod_eviction returns for the first web pod; the next one is a 429 DisruptionBudget."""
    core = client.CoreV1Api(api)
    web = sorted(names(core.list_namespaced_pod("default", label_selector="app=web")))

    def eviction(name: str) -> client.V1Eviction:
        return client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace="default"))

    core.create_namespaced_pod_eviction(web[0], "default", eviction(web[0]))
    with pytest.raises(client.ApiException) as caught:
        core.create_namespaced_pod_eviction(web[1], "default", eviction(web[1]))
    status = status_of(caught.value)
    assert (caught.value.status, status["reason"]) == (429, "TooManyRequests")
    assert status["details"]["causes"][0]["reason"] == "DisruptionBudget"


def test_watch_streams_current_pods_and_stops_at_the_timeout(api: client.ApiClient) -> None:
    """Watch().stream with timeout_seconds yields typed ADDED events for existing pods, then ends."""
    core = client.CoreV1Api(api)
    events = list(
        watch.Watch().stream(core.list_namespaced_pod, "default", label_selector="app=web", timeout_seconds=1)
    )
    assert [e["type"] for e in events] == ["ADDED"] * 3
    assert all(isinstance(e["object"], client.V1Pod) for e in events)


def test_errors_surface_as_api_exceptions_with_a_status_body(api: client.ApiClient, sim: Simulator) -> None:
    """404s and injected 429s reach the caller as ApiException with the Status body and Retry-After.

    (urllib3 itself retries a GET answered 429 *with* Retry-After, so the throttled call here is a POST.)"""
    core = client.CoreV1Api(api)
    with pytest.raises(client.ApiException) as missing:
        core.read_namespaced_pod("nope", "default")
    assert (missing.value.status, status_of(missing.value)["message"]) == (404, 'pods "nope" not found')
    fault = {"action": 429, "method": "POST", "resource": "configmaps", "times": 1, "retry_after": 2}
    sim.faults.update_from_json({"requests": [fault]})
    configmap = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"a": "b"})
    with pytest.raises(client.ApiException) as throttled:
        core.create_namespaced_config_map("default", configmap)
    assert throttled.value.status == 429
    assert (throttled.value.headers or {})["Retry-After"] == "2"
    assert status_of(throttled.value)["details"]["retryAfterSeconds"] == 2
    assert wire(core.create_namespaced_config_map("default", configmap))["data"] == {"a": "b"}
