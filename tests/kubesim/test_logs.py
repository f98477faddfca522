"""pods/log: what `kubectl logs` prints against kubesim, from the scenario's lines or synthetic ones, with
the parameters kubectl sends (tailLines, container, timestamps) and the API server's refusals."""

from __future__ import annotations

import re

import pytest

from kubesim.logs import LOGS_ANNOTATION
from kubesim.server import Simulator
from kubesim.testing import Kubectl
from tests.kubesim.conftest import Http

pytestmark = pytest.mark.kubectl

TWO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: chatty
  namespace: default
  annotations:
    kubesim.io/logs: |
      app: [booting, listening on :8080, "GET / 200"]
      sidecar: [proxy ready]
spec:
  containers:
    - {name: app, image: example/app:1.0}
    - {name: sidecar, image: example/proxy:2.1}
"""
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"


@pytest.fixture(name="chatty")
def fixture_chatty(kubectl: Kubectl, sim: Simulator) -> Kubectl:
    """A pod whose scenario gives each of its two containers log lines, running."""
    kubectl("apply", "-f", "-", input=TWO_CONTAINERS, check=True)
    kubectl("wait", "--for=condition=Ready", "pod/chatty", "--timeout=30s", check=True)
    sim.store.clock.advance(5)
    return kubectl


def test_kubectl_logs_prints_the_lines_the_scenario_gave_the_container(chatty: Kubectl) -> None:
    """`kubectl logs -c app` prints the app container's lines, in order; -c sidecar the sidecar's."""
    assert (
        chatty("logs", "chatty", "-c", "app", check=True).stdout == "booting\nlistening on :8080\nGET / 200\n"
    )
    assert chatty("logs", "chatty", "-c", "sidecar", check=True).stdout == "proxy ready\n"


def test_tail_lines_and_timestamps_are_applied_as_the_kubelet_applies_them(chatty: Kubectl) -> None:
    """--tail=2 keeps the last two lines; --timestamps prefixes each with an RFC 3339 nanosecond stamp."""
    printed = chatty("logs", "chatty", "-c", "app", "--tail=2", "--timestamps", check=True).stdout
    lines = printed.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["listening on :8080", "GET / 200"]
    assert all(re.fullmatch(STAMP, line.split(" ", 1)[0]) for line in lines)


def test_a_pod_of_a_controller_has_a_synthetic_log_that_grows_with_time(
    kubectl: Kubectl, sim: Simulator
) -> None:
    """A Deployment's pod logs a start line, then a line every ten simulated seconds."""
    pod = sim.store.list("pods", "default", label_selector="app=web")[0][0]["metadata"]["name"]
    before = kubectl("logs", pod, check=True).stdout.splitlines()
    sim.store.clock.advance(60)
    after = kubectl("logs", pod, check=True).stdout.splitlines()
    assert after[0].startswith("starting nginx (")
    assert len(after) >= len(before) + 6
    assert kubectl("logs", "deploy/web", "--tail=1", check=True).stdout.count("\n") == 1


def test_a_container_must_be_named_when_the_pod_has_several_and_must_exist(
    chatty: Kubectl, sim: Simulator
) -> None:
    """Without -c the API server refuses a two-container pod (kubectl itself picks the first); a wrong name is
    a 400 naming the container."""
    http = Http(sim)
    refused = http("GET", "/api/v1/namespaces/default/pods/chatty/log")
    assert refused.status == 400
    assert (
        refused.json()["message"]
        == "a container name must be specified for pod chatty, choose one of: [app sidecar]"
    )
    wrong = http("GET", "/api/v1/namespaces/default/pods/chatty/log?container=db")
    assert (wrong.status, wrong.json()["message"]) == (400, "container db is not valid for pod chatty")
    assert http("GET", "/api/v1/namespaces/default/pods/ghost/log").status == 404
    assert LOGS_ANNOTATION in sim.store.get("pods", "default", "chatty")["metadata"]["annotations"]


def test_the_log_subresource_is_listed_in_discovery(http: Http) -> None:
    """pods/log is served under the core group with the get verb only."""
    core = {r["name"]: r for r in http("GET", "/api/v1").json()["resources"]}
    assert core["pods/log"] == {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                "verbs": ["get"]}  # fmt: skip
