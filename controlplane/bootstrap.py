"""What a started control plane is given before anyone uses it: deploy/'s worker ServiceAccount and
ClusterRole, then a scenario, loaded as kubesim loads it, and a wait until it has settled.

A scenario is the same multi-document YAML file kubesim reads (kubesim/scenario.py), applied to a
real server with three differences a real server needs:

- a Node gets KWOK's annotation, so KWOK runs its kubelet (heartbeats, a Lease, its pods' lifecycle);
- an ownerReference without a ``uid`` is completed from the object it names, as in kubesim;
- a Deployment's ``kubesim.io/history`` becomes real history: the Deployment is created paused, one
  ReplicaSet per past revision (revisions 1..n, scaled to zero) is created under it, and unpausing
  it lets the deployment controller roll out its template as revision n+1.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.exceptions import ApiException

from controlplane.components import KWOK_NODE_ANNOTATION
from controlplane.settling import nodes_ready, settled
from kubesim.scenario import CHANGE_CAUSE, HISTORY_ANNOTATION, read_scenario

Obj = dict[str, Any]

DEPLOY_WORKERS = Path(__file__).resolve().parent.parent / "deploy" / "base" / "workers"
WORKER_RBAC = ("namespace.yaml", "serviceaccount.yaml", "clusterrole.yaml", "clusterrolebinding.yaml")
WORKER_NAMESPACE = "chatops"
WORKER_SERVICE_ACCOUNT = "chatops-worker"
TOKEN_SECONDS = 24 * 3600
REVISION = "deployment.kubernetes.io/revision"
POD_TEMPLATE_HASH = "pod-template-hash"


class Bootstrap:
    """The admin's view of a started control plane, used to set it up."""

    def __init__(self, admin_kubeconfig: Path) -> None:
        self.api_client = config.new_client_from_config(config_file=str(admin_kubeconfig))
        self.api = dynamic.DynamicClient(self.api_client)
        self.core = client.CoreV1Api(self.api_client)

    def prepare(self, scenario: str | Path | None) -> None:
        """deploy/'s worker RBAC, then the scenario (if any), then a wait until it has settled."""
        for name in WORKER_RBAC:
            self.create(yaml.safe_load((DEPLOY_WORKERS / name).read_text()))
        if scenario is not None:
            self.load(read_scenario(scenario))
        settled(self.api)

    def load(self, manifests: list[Obj]) -> None:
        """Create a scenario's nodes, wait until they are Ready, then create the rest in document order.

        Workloads wait for their nodes: until a node is Ready, the node controller's not-ready taint keeps
        the scheduler off it, and the pods would crowd onto the nodes that happened to be Ready first.
        """
        nodes = [obj for obj in manifests if obj["kind"] == "Node"]
        for node in nodes:
            node.setdefault("metadata", {}).setdefault("annotations", {})[KWOK_NODE_ANNOTATION] = "fake"
            self.create(node)
        nodes_ready(self.api, [node["metadata"]["name"] for node in nodes])
        namespaces_ready: set[str] = set()
        for obj in manifests:
            if obj["kind"] == "Node":
                continue
            metadata = obj.setdefault("metadata", {})
            resource = self.api.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            namespace = None
            if resource.namespaced:
                namespace = metadata.setdefault("namespace", "default")
                if namespace not in namespaces_ready:
                    self._ensure_namespace(namespace)
                    namespaces_ready.add(namespace)
            self._complete_owner_references(obj, namespace)
            annotations = metadata.get("annotations") or {}
            history = annotations.pop(HISTORY_ANNOTATION, None) if obj["kind"] == "Deployment" else None
            if history:
                self._create_with_history(obj, yaml.safe_load(history))
            else:
                self.create(obj)

    def create(self, obj: Obj) -> Obj:
        """Create one object (kept as it is when it already exists, as a second bootstrap finds it)."""
        resource = self.api.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = obj["metadata"].get("namespace") if resource.namespaced else None
        try:
            created: Obj = resource.create(body=obj, namespace=namespace).to_dict()
        except ApiException as error:
            if error.status != 409:
                raise
            created = resource.get(name=obj["metadata"]["name"], namespace=namespace).to_dict()
        return created

    def worker_token(self) -> str:
        """A token for deploy/'s worker ServiceAccount, issued by the API server (TokenRequest)."""
        request = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=TOKEN_SECONDS)
        )
        issued = self.core.create_namespaced_service_account_token(
            WORKER_SERVICE_ACCOUNT, WORKER_NAMESPACE, request
        )
        if issued.status is None or not issued.status.token:
            raise RuntimeError(
                f"the API server issued no token for {WORKER_NAMESPACE}/{WORKER_SERVICE_ACCOUNT}"
            )
        return str(issued.status.token)

    def _ensure_namespace(self, namespace: str) -> None:
        self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        # The ServiceAccount admission plugin refuses pods until the namespace's default account exists.
        deadline = time.monotonic() + 60
        while True:
            try:
                self.core.read_namespaced_service_account("default", namespace)
                return
            except ApiException as error:
                if error.status != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def _complete_owner_references(self, obj: Obj, namespace: str | None) -> None:
        for reference in obj["metadata"].get("ownerReferences") or []:
            if reference.get("uid"):
                continue
            owner = self.api.resources.get(api_version=reference["apiVersion"], kind=reference["kind"])
            found = owner.get(name=reference["name"], namespace=namespace if owner.namespaced else None)
            reference["uid"] = found.metadata.uid

    def _create_with_history(self, deployment: Obj, entries: list[Obj]) -> None:
        # Paused at zero replicas, the controller neither makes a ReplicaSet of its own nor scales the
        # newest past one up; unpaused at its replicas, it rolls out its template as revision n+1.
        spec = deployment["spec"]
        was_paused, replicas = bool(spec.get("paused")), spec.get("replicas", 1)
        held = copy.deepcopy(deployment)
        held["spec"].update(paused=True, replicas=0)
        created = self.create(held)
        created["spec"]["replicas"] = replicas
        for number, entry in enumerate(entries, start=1):
            self.create(_past_replica_set(created, number, entry))
        deployments = self.api.resources.get(api_version="apps/v1", kind="Deployment")
        deployments.patch(
            name=created["metadata"]["name"],
            namespace=created["metadata"]["namespace"],
            body={"spec": {"paused": was_paused, "replicas": replicas}},
            content_type="application/merge-patch+json",
        )


def _past_replica_set(deployment: Obj, number: int, entry: Obj) -> Obj:
    """A scaled-to-zero ReplicaSet under ``deployment`` holding one past revision's template."""
    spec = deployment["spec"]
    if "template" in entry:
        template = copy.deepcopy(entry["template"])
    else:
        template = copy.deepcopy(spec["template"])
        template["spec"]["containers"][0]["image"] = entry["image"]
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
    template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = digest
    selector = copy.deepcopy(spec["selector"])
    selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = digest
    annotations = {REVISION: str(number)}
    if entry.get("change-cause"):
        annotations[CHANGE_CAUSE] = entry["change-cause"]
    metadata = deployment["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{metadata['name']}-{digest}",
            "namespace": metadata["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"replicas": 0, "selector": selector, "template": template},
    }
