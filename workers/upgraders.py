"""What replaces Kubernetes binaries during an upgrade: a protocol, kubesim's upgrader, real-cluster hooks.

Draining, waiting and uncordoning go through the Kubernetes API (:mod:`workers.upgrading`), but putting a
new kubelet on a node, a new kube-apiserver on a control-plane node, or a brand-new node into the cluster
happens outside the API, and differs per cluster. The upgrade jobs therefore call an :class:`Upgrader`:

- :class:`KubesimUpgrader` (here) simulates a kubeadm-style upgrade on kubesim: a kubelet upgrade
  patches the node's ``status.nodeInfo`` through the ``nodes/status`` subresource; a control-plane
  component upgrade replaces the image of its static mirror pod (and, for kube-apiserver, the version
  ``/version`` reports, through kubesim's ``POST /kubesim/version``); provisioning creates a Node object
  and retiring deletes it (kubesim's DaemonSet controller then removes its daemon pods).
- :class:`HookUpgrader` (here) is for real clusters: per action it runs the operator's command, if one
  is configured and the hook is ``command`` (:mod:`workers.hook_commands`), then waits until the cluster
  shows the result (:mod:`workers.hook_waits`): a kubelet Ready at the version, a component's mirror pod
  at it, a new node registered Ready at it, a retired node gone. With the ``wait`` hook nothing is run:
  an external system (Ansible, a cloud node-pool upgrade, an operator at a console) does the work.

The worker's entry point (or a test) may :func:`configure` one; otherwise :func:`configured` reads
:class:`~workers.hook_settings.HookSettings` from the environment at each job: ``CHATOPS_UPGRADE_HOOK``
chooses, and unset means kubesim's upgrader when the API server is kubesim (it answers
``GET /kubesim/version``), else the command hook when any command is set, else the wait hook.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from typing import Any, Protocol

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from shared.messages import upgrade_hooks as hook_wording
from shared.messages import upgrade_runs as run_wording
from workers import cluster
from workers.errors import JobError
from workers.hook_commands import run_hook
from workers.hook_settings import HookAction, HookKind, HookSettings
from workers.hook_waits import (
    node_names,
    wait_for_component,
    wait_for_kubelet,
    wait_for_new_node,
    wait_for_new_node_matching,
    wait_for_node_gone,
)
from workers.kube import REQUEST_TIMEOUT, read, write
from workers.nodes import read_node
from workers.versions import Version

CONTROL_PLANE_NAMESPACE = "kube-system"


class NodeUpgrader(Protocol):
    """Replaces a node's kubelet, and brings nodes into or out of the cluster."""

    def upgrade_kubelet(self, node: str, *, version: Version) -> None:
        """Install kubelet and kube-proxy ``version`` on the (drained) node and restart them.

        Returns once the change is started; the job itself waits for the node to report it.
        """

    def provision(self, name: str, *, like: str, version: Version) -> str | None:
        """Add a new node ``name`` shaped like node ``like`` (labels, capacity), running ``version``.

        Returns the name the node registered under when its provider chose another one (else ``None``).
        """

    def retire(self, node: str) -> None:
        """Take a drained node out of the cluster for good."""


class ControlPlaneUpgrader(Protocol):
    """Replaces one control-plane component on one control-plane node."""

    def upgrade_component(self, component: str, *, pod: str, node: str, version: Version) -> None:
        """Run ``component`` (``kube-apiserver``…) at ``version`` on ``node``, whose mirror pod is ``pod``."""


class Upgrader(NodeUpgrader, ControlPlaneUpgrader, Protocol):
    """Both halves: what the upgrade jobs are given."""


def released(version: Version) -> str:
    """A full version string for ``version``: a minor release (``v1.32``) means its first patch, ``v1.32.0``."""
    return f"v{version.major}.{version.minor}.{version.patch or 0}"


def _admin_call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a kubesim admin endpoint with the official client's connection and credentials."""
    api = cluster.api_client()
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    serialized = api.param_serialize(
        method=method, resource_path=path, header_params=headers, body=body, auth_settings=["BearerToken"]
    )
    verb, url, header_params, payload, _ = serialized
    response = api.call_api(
        verb, url, header_params=header_params, body=payload, _request_timeout=REQUEST_TIMEOUT
    )
    response.read()
    if not 200 <= response.status < 300:
        raise ApiException(http_resp=response)
    data = json.loads(response.data or b"{}")
    return data if isinstance(data, dict) else {}


class KubesimUpgrader:
    """The simulated kubeadm: every change is an API call kubesim understands."""

    def upgrade_kubelet(self, node: str, *, version: Version) -> None:
        """Report the new kubelet and kube-proxy version in the node's status, as a restarted kubelet would."""
        body = {
            "status": {
                "nodeInfo": {"kubeletVersion": released(version), "kubeProxyVersion": released(version)}
            }
        }
        write(cluster.core().patch_node_status, node, body, missing=run_wording.node_missing(node))

    def provision(self, name: str, *, like: str, version: Version) -> str | None:
        """Create a Node like ``like`` (its labels, taints minus the cordon, capacity) at ``version``."""
        model = read_node(like)
        labels = dict((model.get("metadata") or {}).get("labels") or {})
        if "kubernetes.io/hostname" in labels:
            labels["kubernetes.io/hostname"] = name
        taints = [
            t
            for t in (model.get("spec") or {}).get("taints") or []
            if t.get("key") != "node.kubernetes.io/unschedulable"
        ]
        status = model.get("status") or {}
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": {"taints": taints} if taints else {},
        }
        write(cluster.core().create_node, node, missing=run_wording.node_missing(name))
        body = {
            "status": {
                "capacity": status.get("capacity") or {},
                "allocatable": status.get("allocatable") or {},
                "nodeInfo": {"kubeletVersion": released(version), "kubeProxyVersion": released(version)},
            }
        }
        write(cluster.core().patch_node_status, name, body, missing=run_wording.node_missing(name))
        return None

    def retire(self, node: str) -> None:
        """Delete the Node object (the machine behind it is gone too, in the simulation)."""
        write(cluster.core().delete_node, node, missing=run_wording.node_missing(node))

    def upgrade_component(self, component: str, *, pod: str, node: str, version: Version) -> None:
        """Swap the image tag of the component's mirror pod; kube-apiserver also changes ``/version``."""
        current: dict[str, Any] = read(
            cluster.core().read_namespaced_pod,
            pod,
            CONTROL_PLANE_NAMESPACE,
            missing=run_wording.component_pod_missing(component, pod),
        )
        containers = (current.get("spec") or {}).get("containers") or []
        index = next((i for i, c in enumerate(containers) if c.get("name") == component), 0)
        image = str(containers[index].get("image", "")) if containers else ""
        repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        patch = [
            {"op": "test", "path": f"/spec/containers/{index}/image", "value": image},
            {
                "op": "replace",
                "path": f"/spec/containers/{index}/image",
                "value": f"{repository}:{released(version)}",
            },
        ]
        write(
            cluster.core().patch_namespaced_pod,
            pod,
            CONTROL_PLANE_NAMESPACE,
            patch,
            missing=run_wording.component_pod_missing(component, pod),
        )
        if component == "kube-apiserver":
            try:
                _admin_call("POST", "/kubesim/version", {"gitVersion": released(version)})
            except (ApiException, HTTPError) as error:
                raise JobError(run_wording.upgrader_failed(component, node, str(error))) from error


@dataclasses.dataclass
class _Configured:
    upgrader: Upgrader | None = None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_configured = _Configured()


def configure(upgrader: Upgrader | None) -> None:
    """Set this process's upgrader (``None``: detect kubesim, refuse elsewhere)."""
    with _configured.lock:
        _configured.upgrader = upgrader


def is_kubesim() -> bool:
    """Whether the configured API server is kubesim (it answers ``GET /kubesim/version``)."""
    try:
        _admin_call("GET", "/kubesim/version")
    except (ApiException, HTTPError):
        return False
    return True


def configured() -> Upgrader:
    """The upgrader to use: the configured one, else the one the environment's hook settings choose."""
    with _configured.lock:
        chosen = _configured.upgrader
    if chosen is not None:
        return chosen
    return from_settings(HookSettings.from_env(os.environ))


def from_settings(settings: HookSettings) -> Upgrader:
    """The upgrader ``settings`` choose; unset hook: kubesim's on kubesim, else command if any is set, else wait."""
    kind = settings.hook
    if kind is None:
        kind = HookKind.KUBESIM if is_kubesim() else HookKind.COMMAND if settings.commands else HookKind.WAIT
    if kind == HookKind.KUBESIM:
        if not is_kubesim():
            raise JobError(hook_wording.hook_unused_on(str(kind)))
        return KubesimUpgrader()
    return HookUpgrader(settings, run_commands=kind == HookKind.COMMAND)


class HookUpgrader:
    """A real cluster's upgrader: the operator's command for each action (if any), then a bounded wait.

    With ``run_commands`` false (the ``wait`` hook) no command runs: something outside the worker is
    expected to make the change, and the job only waits for the cluster to show it.
    """

    def __init__(self, settings: HookSettings, *, run_commands: bool) -> None:
        self.settings = settings
        self.run_commands = run_commands

    def _run(self, action: HookAction, *, where: str, values: dict[str, str]) -> None:
        template = self.settings.command(action)
        if self.run_commands and template is not None:
            run_hook(
                template,
                values={"action": str(action), **values},
                where=where,
                timeout=self.settings.command_timeout,
            )

    def upgrade_kubelet(self, node: str, *, version: Version) -> None:
        """Run the node command with ``{node}`` and ``{version}``; wait until the node is Ready at it."""
        self._run(HookAction.UPGRADE_NODE, where=node, values={"node": node, "version": released(version)})
        wait_for_kubelet(node, version=version, seconds=self.settings.wait_timeout)

    def provision(self, name: str, *, like: str, version: Version) -> str | None:
        """Run the provision command (``{node}`` is the new name, ``{template}`` the node it copies); wait for it.

        With a provision selector, the new node is any node matching it that was not there before
        (its name is returned); otherwise it is the node called ``name``.
        """
        selector = self.settings.provision_selector
        before = node_names(selector=selector) if selector else set()
        values = {"node": name, "template": like, "version": released(version)}
        self._run(HookAction.PROVISION_NODE, where=name, values=values)
        if selector:
            return wait_for_new_node_matching(
                selector, before=before, version=version, seconds=self.settings.wait_timeout
            )
        wait_for_new_node(name, version=version, seconds=self.settings.wait_timeout)
        return None

    def retire(self, node: str) -> None:
        """Run the retire command with ``{node}``; wait until the Node object is gone."""
        self._run(HookAction.RETIRE_NODE, where=node, values={"node": node})
        wait_for_node_gone(node, seconds=self.settings.wait_timeout)

    def upgrade_component(self, component: str, *, pod: str, node: str, version: Version) -> None:
        """Run the control-plane command (``{component}``, ``{pod}``, ``{node}``, ``{version}``); wait for it."""
        values = {"component": component, "pod": pod, "node": node, "version": released(version)}
        self._run(HookAction.UPGRADE_CONTROL_PLANE, where=f"{component}@{node}", values=values)
        wait_for_component(component, pod=pod, node=node, version=version, seconds=self.settings.wait_timeout)


__all__ = [
    "ControlPlaneUpgrader",
    "HookUpgrader",
    "KubesimUpgrader",
    "NodeUpgrader",
    "Upgrader",
    "configure",
    "configured",
    "from_settings",
    "is_kubesim",
    "released",
]
