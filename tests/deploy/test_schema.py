"""Both overlays render, and every rendered object is valid Kubernetes API input.

Validated three ways:

1. ``kubectl kustomize`` renders each overlay (and the Socket Mode component) without error.
2. Every object's (apiVersion, kind) is a known pair, and the object validates against the official
   client's model of that kind (generated from the Kubernetes OpenAPI schema: required fields, types,
   and no unknown field anywhere, so a misspelt ``readOnlyRootFileSystem`` fails).
3. The objects of kinds kubesim serves go through ``kubectl apply --dry-run=server`` against a running
   simulator (kind/apiVersion/namespace routing and the server's own checks). RBAC objects,
   NetworkPolicies and PersistentVolumeClaims are not served by kubesim and rely on 2.
"""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from kubesim.resources import BY_KIND
from kubesim.testing import Kubectl, running_simulator
from tests.deploy.manifests import OVERLAYS, Obj, kinds, render_with

KNOWN_KINDS: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): client.V1Namespace,
    ("v1", "ServiceAccount"): client.V1ServiceAccount,
    ("v1", "Secret"): client.V1Secret,
    ("v1", "ConfigMap"): client.V1ConfigMap,
    ("v1", "Service"): client.V1Service,
    ("v1", "PersistentVolumeClaim"): client.V1PersistentVolumeClaim,
    ("apps/v1", "Deployment"): client.V1Deployment,
    ("apps/v1", "StatefulSet"): client.V1StatefulSet,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): client.V1ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): client.V1ClusterRoleBinding,
    ("networking.k8s.io/v1", "NetworkPolicy"): client.V1NetworkPolicy,
    ("networking.k8s.io/v1", "Ingress"): client.V1Ingress,
}
"""The kinds deploy/ may use, with the official client's schema model of each."""


def test_the_single_cluster_overlay_renders_the_bot_its_redis_and_the_workers(
    rendered: dict[str, list[Obj]],
) -> None:
    """One install: bot, Redis, workers, their RBAC, Ingress, NetworkPolicies and the Secret templates."""
    assert {
        ("Deployment", "chatops-bot"),
        ("Deployment", "chatops-bot-runner"),
        ("Service", "chatops-bot"),
        ("ServiceAccount", "chatops-bot"),
        ("StatefulSet", "chatops-redis"),
        ("Service", "chatops-redis"),
        ("NetworkPolicy", "chatops-redis"),
        ("NetworkPolicy", "chatops-bot"),
        ("NetworkPolicy", "chatops-worker"),
        ("NetworkPolicy", "chatops-default-deny"),
        ("Ingress", "chatops-bot"),
        ("Deployment", "chatops-worker"),
        ("ServiceAccount", "chatops-worker"),
        ("ClusterRole", "chatops-worker"),
        ("ClusterRoleBinding", "chatops-worker"),
        ("Secret", "chatops-slack"),
        ("Secret", "chatops-redis-acl"),
        ("Secret", "chatops-redis-bot"),
        ("Secret", "chatops-redis-worker"),
        ("Secret", "chatops-etcd-client"),
    } <= kinds(rendered["single-cluster"])


def test_the_remote_workers_overlay_renders_only_workers_for_its_own_cluster(
    rendered: dict[str, list[Obj]],
) -> None:
    """No bot, no Redis, no Slack secret; the workers serve the overlay's cluster on a remote Redis."""
    objects = rendered["remote-workers"]
    components = {obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") for obj in objects}
    assert "bot" not in components
    assert not any(obj["kind"] == "StatefulSet" for obj in objects)
    [config] = [
        obj
        for obj in objects
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("chatops-worker-config-")
    ]
    assert config["data"]["CHATOPS_CLUSTER"] == "edge-1"
    secrets = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "Secret"}
    assert secrets["chatops-redis-worker"]["stringData"]["REDIS_URL"].startswith("rediss://chatops-worker:")
    assert not {"chatops-redis-acl", "chatops-redis-bot"} & set(secrets)


def test_the_socket_mode_component_drops_the_front_and_the_runners_http() -> None:
    """In Socket Mode the runner holds the connection: no front, Service or Ingress; no port, no HTTP probe."""
    objects = render_with("single-cluster", "socket-mode")
    present = kinds(objects)
    assert (
        not {("Deployment", "chatops-bot"), ("Service", "chatops-bot"), ("Ingress", "chatops-bot")} & present
    )
    [runner] = [
        obj
        for obj in objects
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "chatops-bot-runner"
    ]
    container = runner["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["bot", "--role", "runner"]
    assert "ports" not in container
    assert "exec" in container["readinessProbe"]
    assert _validate(runner) is not None


def _validate(obj: Obj) -> Any:
    model = KNOWN_KINDS.get((obj["apiVersion"], obj["kind"]))
    assert model is not None, f"unknown apiVersion/kind: {obj['apiVersion']} {obj['kind']}"
    return model.model_validate(obj)


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_rendered_object_validates_against_the_kubernetes_schema(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    """Known kinds only; required fields present, types right, no unknown field at any depth."""
    for obj in rendered[name]:
        _validate(obj)


def test_the_schema_check_catches_a_misspelt_field(rendered: dict[str, list[Obj]]) -> None:
    """A typo deep in a container's securityContext is an error, not silently dropped."""
    [worker] = [
        obj
        for obj in rendered["single-cluster"]
        if obj["metadata"]["name"] == "chatops-worker" and obj["kind"] == "Deployment"
    ]
    worker["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(ValueError, match="readOnlyRootFileSystem"):
        _validate(worker)


@pytest.mark.kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_the_api_server_accepts_every_object_of_a_kind_it_serves_in_a_server_side_dry_run(
    name: str, rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    """``kubectl apply --dry-run=server`` against kubesim creates nothing and refuses nothing."""
    served = [
        obj for obj in rendered[name] if BY_KIND.get(obj["kind"]) is not None and obj["kind"] != "Namespace"
    ]
    assert served
    with running_simulator(speed=20.0) as sim:
        kubectl = Kubectl(sim, tmp_path)
        kubectl("create", "namespace", "chatops", check=True)
        before = len(sim.store.list("secrets", "chatops")[0])
        result = kubectl("apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(served))
        assert result.ok, result.stderr
        assert result.stdout.count("(server dry run)") == len(served)
        assert len(sim.store.list("secrets", "chatops")[0]) == before


def test_the_audit_log_records_api_requests_but_not_kubesim_admin_calls() -> None:
    """``/kubesim/...`` is the simulator's own control surface, not part of the Kubernetes API."""
    with running_simulator(speed=20.0) as sim:
        sim.api.audit.clear()
        for path in ("/api/v1/nodes", "/kubesim/faults"):
            with urllib.request.urlopen(sim.url + path, timeout=10) as answer:
                assert answer.status == 200
        assert [(info.verb, info.resource) for info in sim.api.audit.records()] == [("list", "nodes")]


def test_kubectl_kustomize_is_the_wheel_binary() -> None:
    """Rendering uses the kubectl next to this interpreter (the one the project pins)."""
    from tests.deploy.manifests import kubectl

    version = subprocess.run(
        [str(kubectl()), "version", "--client", "-o", "yaml"], capture_output=True, text=True, check=True
    )
    assert "gitVersion: v1.37" in version.stdout
