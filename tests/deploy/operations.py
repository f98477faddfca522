"""Every worker operation, run through RQ against one simulator the way tests/workers run them.

The list covers each job that talks to the Kubernetes API, and the paths within them that make
different calls: a drain held up by a PodDisruptionBudget (it reads the budget while it waits) as
well as one that goes through, a namespace backup and an all-namespaces one. The etcd jobs talk to
etcd, not to the API server, and are not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesim.server import Simulator
from tests.deploy.upgrade_hooks import run_upgrades
from tests.workers.harness import JobRunner, Outcome, set_min_available, wait_for

WEB = {"deployment": "web", "namespace": "default"}

OPERATIONS: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("cordon", {"node": "node-1"}),
    ("uncordon", {"node": "node-1"}),
    ("drain", {"node": "node-2", "force": True, "delete_emptydir_data": True}),
    # A drained node holds the one maintenance slot until it is uncordoned.
    ("uncordon", {"node": "node-2"}),
    ("maintain", {"node": "node-3"}),
    ("unmaintain", {"node": "node-3"}),
    ("history", WEB),
    ("status", WEB),
    ("scale", {"replicas": 4, **WEB}),
    ("image", {"image": "nginx:1.28", **WEB}),
    ("rollback", WEB),
    ("strategy", {"strategy": "Recreate", **WEB}),
    ("pause", WEB),
    ("resume", WEB),
    ("restart", WEB),
    ("history", {"deployment": "log-agent", "kind": "daemonset", "namespace": "kube-system"}),
    ("status", {"deployment": "cache", "kind": "statefulset", "namespace": "default"}),
    ("rollback", {"deployment": "log-agent", "kind": "daemonset", "namespace": "kube-system"}),
    ("rollback", {"deployment": "cache", "kind": "statefulset", "to_revision": 1, "namespace": "default"}),
    ("nodes", {}),
    ("upgrade_plan", {}),
    ("backup_config", {"namespace": "default"}),
    ("backup_config", {"all_namespaces": True}),
    ("backup_secrets", {"namespace": "default"}),
)


def new_image(sim: Simulator, resource: str, namespace: str, name: str, image: str) -> None:
    """A second revision of a DaemonSet's or StatefulSet's template (its first container's image)."""
    template = sim.store.get(resource, namespace, name)["spec"]["template"]
    container = template["spec"]["containers"][0]["name"]
    body = {"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}}
    sim.store.patch(resource, namespace, name, body, content_type="application/strategic-merge-patch+json")
    uid = sim.store.get(resource, namespace, name)["metadata"]["uid"]
    wait_for(
        lambda: len(sim.store.owned_by(uid, "controllerrevisions")) == 2, what=f"{name}'s second revision"
    )


UNOBSERVED = (
    ("status (not observed yet)", {**WEB, "timeout": 1.0}, "deployments", "default", "web"),
    (
        "status of a daemonset (not observed yet)",
        {"deployment": "log-agent", "kind": "daemonset", "namespace": "kube-system", "timeout": 1.0},
        "daemonsets",
        "kube-system",
        "log-agent",
    ),
    (
        "status of a statefulset (not observed yet)",
        {"deployment": "cache", "kind": "statefulset", "namespace": "default", "timeout": 1.0},
        "statefulsets",
        "default",
        "cache",
    ),
)
"""``status`` of rollouts whose new spec the (stopped) controllers have not observed: each lists, then
watches until its deadline, and stops watching (a failure)."""


def unobserved_statuses(sim: Simulator, runner: JobRunner) -> list[tuple[str, Outcome]]:
    """Run :data:`UNOBSERVED` with the controllers stopped, then let them catch up."""
    sim.controllers.stop()
    try:
        outcomes = []
        for name, arguments, resource, namespace, workload in UNOBSERVED:
            spec = sim.store.get(resource, namespace, workload)["spec"]
            body = {"spec": {"minReadySeconds": int(spec.get("minReadySeconds") or 0) + 1}}
            sim.store.patch(resource, namespace, workload, body, content_type="application/merge-patch+json")
            outcomes.append((name, runner.run("status", **arguments)))
    finally:
        sim.controllers.start()
    return outcomes


def run_every_operation(sim: Simulator, runner: JobRunner) -> list[tuple[str, Outcome]]:
    """Run a budget-blocked drain, every operation of :data:`OPERATIONS`, then the upgrades (through the wait
    hook, as on a real cluster); each outcome, in order."""
    budget = sim.store.get("poddisruptionbudgets", "default", "web-pdb")
    min_available = budget["spec"]["minAvailable"]
    set_min_available(sim, 3)
    outcomes = [
        (
            "drain (blocked by web-pdb)",
            runner.run("drain", node="node-2", force=True, delete_emptydir_data=True, timeout=1.0),
        )
    ]
    set_min_available(sim, min_available)
    for resource, namespace, name, image in (
        ("daemonsets", "kube-system", "log-agent", "fluent/fluent-bit:3.2.0"),
        ("statefulsets", "default", "cache", "redis:7.4"),
    ):
        new_image(sim, resource, namespace, name, image)
    outcomes.extend((name, runner.run(name, **arguments)) for name, arguments in OPERATIONS)
    outcomes.extend(unobserved_statuses(sim, runner))
    outcomes.extend(run_upgrades(sim, runner))
    return outcomes
