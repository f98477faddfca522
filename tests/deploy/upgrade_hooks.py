"""The upgrade jobs in the least-privilege record, as they run on a real cluster: through the wait hook.

On a real cluster, kubelets and control-plane binaries are replaced outside the Kubernetes API (kubeadm
on the node, a node-pool API), by whatever the operator's hook drives; only the worker's own requests
(drain, cordon, checkpoints, waiting, the kube-proxy DaemonSet) need its ClusterRole. Here the outside
work is done straight in kubesim's store, which records no request, and the worker's real
:class:`~workers.upgraders.HookUpgrader` (wait hook) then waits for the cluster to show it.
"""

from __future__ import annotations

from typing import Any

from kubesim.server import Simulator
from tests.workers.harness import JobRunner, Outcome
from workers import upgraders
from workers.hook_settings import HookKind, HookSettings
from workers.upgraders import released
from workers.versions import Version


class OutsideTheApi:
    """Replaces binaries on the simulated machines, then lets the wait hook see the result."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.wait = upgraders.HookUpgrader(
            HookSettings(hook=HookKind.WAIT, wait_timeout=60), run_commands=False
        )

    def upgrade_kubelet(self, node: str, *, version: Version) -> None:
        """A restarted kubelet reports the new version."""

        def change(obj: dict[str, Any]) -> None:
            obj["status"]["nodeInfo"]["kubeletVersion"] = obj["status"]["nodeInfo"]["kubeProxyVersion"] = (
                released(version)
            )

        self.sim.store.mutate("nodes", None, node, change, subresource="status")
        self.wait.upgrade_kubelet(node, version=version)

    def provision(self, name: str, *, like: str, version: Version) -> None:
        """Not used by these runs (no surge)."""
        raise NotImplementedError(name)

    def retire(self, node: str) -> None:
        """Not used by these runs (no surge)."""
        raise NotImplementedError(node)

    def upgrade_component(self, component: str, *, pod: str, node: str, version: Version) -> None:
        """kubeadm rewrites the static pod manifest; the kubelet restarts it; /version follows."""

        def change(obj: dict[str, Any]) -> None:
            for container in obj["spec"]["containers"]:
                container["image"] = f"{container['image'].rsplit(':', 1)[0]}:{released(version)}"

        self.sim.store.mutate("pods", "kube-system", pod, change)
        if component == "kube-apiserver":
            self.sim.api.server_version = released(version)
        self.wait.upgrade_component(component, pod=pod, node=node, version=version)


def run_upgrades(sim: Simulator, runner: JobRunner) -> list[tuple[str, Outcome]]:
    """``upgrade nodes v1.31.4 --nodes node-3``, then ``upgrade control-plane v1.31.5``, through the wait hook."""
    upgraders.configure(OutsideTheApi(sim))
    try:
        return [
            (
                "upgrade_nodes",
                runner.run(
                    "upgrade_nodes",
                    version="v1.31.4",
                    nodes=["node-3"],
                    force=True,
                    delete_emptydir_data=True,
                ),
            ),
            ("upgrade_control_plane", runner.run("upgrade_control_plane", version="v1.31.5")),
        ]
    finally:
        upgraders.configure(None)
