"""Who may talk to whom, as the rendered NetworkPolicies and Ingress decide it (issue 20, point 3; finding 14).

Default deny for every pod of the namespace; the bot's front takes connections only from the ingress
controller's namespace, its runners none, and both open them only to DNS, Redis and Slack (public
HTTPS); the workers take none
and open them only to DNS, Redis and the API server; Redis takes them only from the bot and the workers
and opens none. The Ingress routes the Slack endpoint and the incident pages, so /metrics, /readyz and
/healthz are never reachable from outside the cluster. Each answer comes from evaluating the policies
as Kubernetes does (tests/deploy/netpol.py), for pods and addresses a cluster really has.
"""

from __future__ import annotations

import pytest

from tests.deploy.manifests import OVERLAYS, Obj, find, render_with
from tests.deploy.netpol import Endpoint, allowed, pod_of

INGRESS_CONTROLLER = Endpoint(
    "10.244.9.5", namespace="ingress-nginx", labels={"app.kubernetes.io/name": "ingress-nginx"}
)
KUBE_DNS = Endpoint("10.244.0.10", namespace="kube-system", labels={"k8s-app": "kube-dns"})
APP_POD = Endpoint("10.244.3.7", namespace="default", labels={"app": "web"})
STRAY_POD = Endpoint("10.244.4.8", namespace="chatops", labels={"run": "debug"})
"""A pod someone starts in the chatops namespace without a component label."""
API_SERVER = Endpoint("192.0.2.10")
"""The address deploy/ ships for the API server (a documentation address the operator replaces)."""
REMOTE_REDIS = Endpoint("198.51.100.10")
"""The address the remote-workers overlay ships for the bot's Redis (likewise replaced)."""
SLACK = Endpoint("52.20.30.40")
METADATA_SERVICE = Endpoint("169.254.169.254")
KUBELET = Endpoint("10.0.0.5")
INTERNET_CLIENT = Endpoint("203.0.113.7")

ROUTED = ("/slack/events", "/incidents/tok3n", "/incidents/tok3n/events", "/incidents/tok3n/export.md")
NOT_ROUTED = ("/metrics", "/readyz", "/healthz", "/", "/slack", "/slack/events/x", "/incidentsx", "/kubesim")


def bot(objects: list[Obj]) -> Endpoint:
    """A pod of the bot's Deployment."""
    return pod_of(objects, "Deployment", "chatops-bot", ip="10.244.1.2")


def runner(objects: list[Obj]) -> Endpoint:
    """A pod of the bot runners' Deployment."""
    return pod_of(objects, "Deployment", "chatops-bot-runner", ip="10.244.1.5")


def worker(objects: list[Obj]) -> Endpoint:
    """A pod of the workers' Deployment."""
    return pod_of(objects, "Deployment", "chatops-worker", ip="10.244.1.3")


def redis(objects: list[Obj]) -> Endpoint:
    """The Redis pod of its StatefulSet."""
    return pod_of(objects, "StatefulSet", "chatops-redis", ip="10.244.1.4")


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_pod_of_the_namespace_is_denied_everything_no_policy_grants_it(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    """A default-deny policy selects every pod, both ways: a pod without a policy of its own is cut off."""
    objects = rendered[name]
    default = find(objects, "NetworkPolicy", "chatops-default-deny")["spec"]
    assert default == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert not allowed(objects, STRAY_POD, KUBE_DNS, 53, "UDP")
    assert not allowed(objects, STRAY_POD, SLACK, 443)
    assert not allowed(objects, APP_POD, STRAY_POD, 8080)


def test_the_bot_takes_connections_only_from_the_ingress_controllers_namespace(
    rendered: dict[str, list[Obj]],
) -> None:
    """The ingress controller reaches the bot's HTTP port; no other pod, namespace or address does."""
    objects = rendered["single-cluster"]
    assert allowed(objects, INGRESS_CONTROLLER, bot(objects), "http")
    for source in (APP_POD, STRAY_POD, worker(objects), redis(objects), INTERNET_CLIENT, KUBELET):
        assert not allowed(objects, source, bot(objects), "http"), source
    assert not allowed(objects, INGRESS_CONTROLLER, bot(objects), 3001), "the runner's metrics port"


@pytest.mark.parametrize("half", ["front", "runner"])
def test_the_bot_reaches_dns_redis_and_slack_and_nothing_else_of_the_cluster(
    half: str, rendered: dict[str, list[Obj]]
) -> None:
    """HTTPS to public addresses (Slack's are not fixed); no pod, node, API server or metadata service."""
    objects = rendered["single-cluster"]
    source = bot(objects) if half == "front" else runner(objects)
    assert allowed(objects, source, KUBE_DNS, 53, "UDP")
    assert allowed(objects, source, redis(objects), 6379)
    assert allowed(objects, source, SLACK, 443)
    assert not allowed(objects, source, SLACK, 80)
    for destination, port in (
        (APP_POD, 443),
        (worker(objects), 9100),
        (KUBELET, 443),
        (METADATA_SERVICE, 443),
        (Endpoint("10.96.0.1"), 443),
    ):
        assert not allowed(objects, source, destination, port), destination


def test_nothing_reaches_the_bot_runners(rendered: dict[str, list[Obj]]) -> None:
    """They read their work from Redis: not the ingress controller, not the front, not any pod."""
    objects = rendered["single-cluster"]
    for source in (INGRESS_CONTROLLER, bot(objects), APP_POD, STRAY_POD, INTERNET_CLIENT):
        assert not allowed(objects, source, runner(objects), "metrics"), source


@pytest.mark.parametrize("name", OVERLAYS)
def test_workers_reach_only_dns_redis_and_the_api_server(name: str, rendered: dict[str, list[Obj]]) -> None:
    """In-cluster Redis (single-cluster) or the bot's Redis address (remote-workers); no Slack, no pods."""
    objects = rendered[name]
    redis_endpoint = redis(objects) if name == "single-cluster" else REMOTE_REDIS
    assert allowed(objects, worker(objects), KUBE_DNS, 53, "UDP")
    assert allowed(objects, worker(objects), KUBE_DNS, 53, "TCP")
    assert allowed(objects, worker(objects), redis_endpoint, 6379)
    assert allowed(objects, worker(objects), API_SERVER, 6443)
    assert allowed(objects, worker(objects), API_SERVER, 443)
    for destination, port in (
        (SLACK, 443),
        (APP_POD, 80),
        (KUBELET, 10250),
        (METADATA_SERVICE, 80),
        (API_SERVER, 22),
        (REMOTE_REDIS if name == "single-cluster" else STRAY_POD, 6379),
    ):
        assert not allowed(objects, worker(objects), destination, port), destination


@pytest.mark.parametrize("name", OVERLAYS)
def test_nothing_reaches_the_workers(name: str, rendered: dict[str, list[Obj]]) -> None:
    """Not even their metrics port: scraping is admitted only by the metrics-scraping component."""
    objects = rendered[name]
    for source in (INGRESS_CONTROLLER, APP_POD, STRAY_POD, INTERNET_CLIENT):
        assert not allowed(objects, source, worker(objects), "metrics"), source


def test_redis_takes_connections_only_from_the_bot_and_the_workers_and_opens_none(
    rendered: dict[str, list[Obj]],
) -> None:
    """Queues, approvals, locks and timelines are reachable by the two components that own them."""
    objects = rendered["single-cluster"]
    for client in (bot(objects), runner(objects), worker(objects)):
        assert allowed(objects, client, redis(objects), "redis"), client
    for source in (INGRESS_CONTROLLER, APP_POD, STRAY_POD, INTERNET_CLIENT):
        assert not allowed(objects, source, redis(objects), "redis"), source
    for destination, port in ((KUBE_DNS, 53), (SLACK, 443), (APP_POD, 6379)):
        assert not allowed(objects, redis(objects), destination, port), destination


def _routes(rule_paths: list[Obj], path: str) -> list[Obj]:
    """The Ingress paths that route ``path`` (Exact: equal; Prefix: element-wise prefix, as the spec says)."""
    elements = [part for part in path.split("/") if part]
    found = []
    for entry in rule_paths:
        if entry["pathType"] == "Exact" and entry["path"] == path:
            found.append(entry)
        elif entry["pathType"] == "Prefix":
            prefix = [part for part in entry["path"].split("/") if part]
            if elements[: len(prefix)] == prefix:
                found.append(entry)
        elif entry["pathType"] not in ("Exact", "Prefix"):
            raise AssertionError(f"pathType {entry['pathType']} leaves matching to the controller")
    return found


def test_the_ingress_routes_only_the_slack_endpoint_and_the_incident_pages(
    rendered: dict[str, list[Obj]],
) -> None:
    """/slack/events and /incidents/… go to the bot's HTTP port; /metrics, /readyz and the rest go nowhere."""
    ingress = find(rendered["single-cluster"], "Ingress", "chatops-bot")["spec"]
    assert "defaultBackend" not in ingress
    [rule] = ingress["rules"]
    paths = rule["http"]["paths"]
    for path in ROUTED:
        routes = _routes(paths, path)
        assert [r["backend"]["service"] for r in routes] == [
            {"name": "chatops-bot", "port": {"name": "http"}}
        ], path
    for path in NOT_ROUTED:
        assert _routes(paths, path) == [], path
    assert ingress["tls"][0]["hosts"] == [rule["host"]]


@pytest.mark.parametrize("name", OVERLAYS)
def test_no_service_is_reachable_from_outside_the_cluster(name: str, rendered: dict[str, list[Obj]]) -> None:
    """Every Service is ClusterIP (or headless): no NodePort, LoadBalancer or external IP around the Ingress."""
    for obj in rendered[name]:
        if obj["kind"] == "Service":
            assert obj["spec"].get("type", "ClusterIP") == "ClusterIP", obj["metadata"]["name"]
            assert not obj["spec"].get("externalIPs"), obj["metadata"]["name"]


def test_in_socket_mode_nothing_reaches_the_bot_and_nothing_routes_to_it() -> None:
    """No front and no Ingress; the runner, which holds Slack's socket, still reaches Slack and Redis."""
    objects = render_with("single-cluster", "socket-mode")
    assert not [obj for obj in objects if obj["kind"] == "Ingress"]
    socket_runner = pod_of(objects, "Deployment", "chatops-bot-runner", ip="10.244.1.5")
    assert not allowed(objects, INGRESS_CONTROLLER, socket_runner, 3001)
    assert allowed(objects, socket_runner, SLACK, 443)
    assert allowed(objects, socket_runner, redis(objects), 6379)


def test_the_metrics_scraping_component_admits_the_monitoring_namespace_to_the_metrics_ports_only() -> None:
    """Prometheus in ``monitoring`` reaches the bot's HTTP port and the workers' metrics; others still do not."""
    objects = render_with("single-cluster", "metrics-scraping")
    prometheus = Endpoint(
        "10.244.8.8", namespace="monitoring", labels={"app.kubernetes.io/name": "prometheus"}
    )
    assert allowed(objects, prometheus, bot(objects), "http")
    assert allowed(objects, prometheus, worker(objects), "metrics")
    assert allowed(objects, prometheus, runner(objects), "metrics")
    assert not allowed(objects, prometheus, redis(objects), "redis")
    assert not allowed(objects, APP_POD, worker(objects), "metrics")
