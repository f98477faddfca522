"""metrics.k8s.io/v1beta1: `kubectl top node` and `kubectl top pod` against kubesim, with usage a pod's
scenario gives or a steady share of what its containers request."""

from __future__ import annotations

import pytest

from kubesim.server import Simulator
from kubesim.testing import Kubectl
from tests.kubesim.conftest import Http

pytestmark = pytest.mark.kubectl

MEASURED = """\
apiVersion: v1
kind: Pod
metadata:
  name: measured
  namespace: default
  labels: {app: measured}
  annotations:
    kubesim.io/usage: "{cpu: 250m, memory: 100Mi}"
spec:
  nodeName: node-3
  containers:
    - {name: app, image: example/app:1.0}
"""


def columns(output: str) -> dict[str, list[str]]:
    """kubectl's table rows by their first cell."""
    return {line.split()[0]: line.split()[1:] for line in output.splitlines()[1:]}


def test_kubectl_top_node_shows_every_node_with_usage_and_percentages(kubectl: Kubectl) -> None:
    """Each node has CPU and memory usage and their share of its allocatable."""
    printed = kubectl("top", "node", check=True).stdout
    assert printed.split()[:5] == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    rows = columns(printed)
    assert set(rows) == {"cp-1", "node-1", "node-2", "node-3"}
    assert all(
        row[0].endswith("m") and row[1].endswith("%") and row[2].endswith("Mi") for row in rows.values()
    )


def test_kubectl_top_pod_shows_the_usage_a_pod_was_given(kubectl: Kubectl) -> None:
    """The usage annotation is what `kubectl top pod` prints; other pods have some usage too."""
    kubectl("apply", "-f", "-", input=MEASURED, check=True)
    kubectl("wait", "--for=condition=Ready", "pod/measured", "--timeout=30s", check=True)
    assert columns(kubectl("top", "pod", "-l", "app=measured", check=True).stdout) == {
        "measured": ["250m", "100Mi"]
    }
    every = kubectl("top", "pod", "-A", check=True).stdout.splitlines()[1:]
    assert len(every) > 10 and all(line.split()[2].endswith("m") for line in every)


def test_a_node_uses_what_its_running_pods_use_plus_the_system(sim: Simulator) -> None:
    """A node's usage is the sum of its running pods' containers plus the kubelet's and runtime's share."""
    http = Http(sim)
    node = http("GET", "/apis/metrics.k8s.io/v1beta1/nodes/node-2").json()
    pods = http("GET", "/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dnode-2").json()
    on_node = {p["metadata"]["name"] for p in sim.store.pods_on_node("node-2")}
    assert {p["metadata"]["name"] for p in pods["items"]} == on_node
    cpu = sum(int(c["usage"]["cpu"].removesuffix("n")) for p in pods["items"] for c in p["containers"])
    assert (node["kind"], node["apiVersion"]) == ("NodeMetrics", "metrics.k8s.io/v1beta1")
    assert int(node["usage"]["cpu"].removesuffix("n")) == cpu + 120_000_000


def test_metrics_are_listed_in_discovery_as_metrics_server_lists_them(http: Http) -> None:
    """Two resources, get and list only, no singular names; a missing pod's metrics are a 404."""
    listed = http("GET", "/apis/metrics.k8s.io/v1beta1").json()["resources"]
    assert listed == [
        {
            "name": "nodes",
            "singularName": "",
            "namespaced": False,
            "kind": "NodeMetrics",
            "verbs": ["get", "list"],
        },
        {
            "name": "pods",
            "singularName": "",
            "namespaced": True,
            "kind": "PodMetrics",
            "verbs": ["get", "list"],
        },
    ]
    missing = http("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/ghost")
    assert (missing.status, missing.json()["message"]) == (
        404,
        'podmetrics.metrics.k8s.io "default/ghost" not found',
    )
