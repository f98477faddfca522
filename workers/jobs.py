"""The RQ job functions, one per command, enqueued by dotted path (``workers.jobs.cordon``).

Each takes the command's fields as JSON keyword arguments (plus ``request``, consumed by the
:func:`~workers.runtime.job` envelope) and returns a small JSON summary. They act on Kubernetes
through the official client only, with kubectl's semantics (see ../shared/reference/kubernetes.md).
Mutating jobs hold a lock on their target (one mutating job per node or deployment) unless they
only plan (``dry_run``); the work itself lives in one module per concern.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from shared.commands import NodeUpgradeStrategy
from shared.fit import attachment
from shared.messages import jobs as messages
from workers import cluster, deployments, maintenance, workloads
from workers.backup_views import backup_list, backup_restore, backup_show
from workers.backups import backup_config, backup_secrets, etcd_restore, etcd_snapshot, etcd_status
from workers.deployments import Target
from workers.errors import NotFound
from workers.kube import list_all
from workers.locks import Guard, TargetLock, Unguarded
from workers.nodes import set_unschedulable
from workers.pods import DrainFlags
from workers.report import Reporter
from workers.runtime import job
from workers.upgrades import upgrade_plan
from workers.upgrading import NodeOptions
from workers.upgrading import upgrade_control_plane as _upgrade_control_plane
from workers.upgrading import upgrade_nodes as _upgrade_nodes
from workers.workloads import Workload

DEPLOYMENT = "deployment"
"""The ``kind`` of a rollback, history or status that acts on a Deployment (the default)."""

NODES_SHOWN = 20
"""Rows the ``nodes`` summary shows; problem nodes come first, the rest are counted and go as a file."""


@contextlib.contextmanager
def _locked(reporter: Reporter, target: str, *, dry_run: bool) -> Iterator[Guard]:
    """Hold the target's lock for a mutating job (a dry run changes nothing and takes none)."""
    if dry_run:
        yield Unguarded()
        return
    with TargetLock(reporter.connection, target, cluster=reporter.request.cluster) as lock:
        yield lock


def _deployment(deployment: str, namespace: str | None) -> Target:
    return Target(deployment, namespace or "default")


def _workload(kind: str, name: str, namespace: str | None) -> Workload:
    return Workload(kind, name, namespace or "default")


@job(lambda *, node, **_: f"cordon node/{node}")
def cordon(*, reporter: Reporter, node: str, dry_run: bool = False) -> dict[str, Any]:
    """Mark a node unschedulable: new pods stop landing on it, running pods stay."""
    with _locked(reporter, f"node/{node}", dry_run=dry_run) as guard:
        return set_unschedulable(node, value=True, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, node, **_: f"uncordon node/{node}")
def uncordon(*, reporter: Reporter, node: str, dry_run: bool = False) -> dict[str, Any]:
    """Make a node schedulable again after maintenance; a drained node stops counting against the limit."""
    with _locked(reporter, f"node/{node}", dry_run=dry_run) as guard:
        result = set_unschedulable(node, value=False, dry_run=dry_run, reporter=reporter, guard=guard)
        if dry_run:
            return result
        return {**result, "released": maintenance.release(node, guard=guard)}


@job(lambda *, node, **_: f"drain node/{node}")
def drain(
    *,
    reporter: Reporter,
    node: str,
    force: bool = False,
    delete_emptydir_data: bool = False,
    grace_period: int | None = None,
    timeout: float | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Cordon a node and evict its pods (DaemonSet pods stay), as ``kubectl drain --ignore-daemonsets``.

    The drain takes a maintenance slot (the cluster-wide limit) and the drained node keeps it until uncordoned.
    """
    flags = DrainFlags(force=force, delete_emptydir_data=delete_emptydir_data)
    with _locked(reporter, f"node/{node}", dry_run=dry_run) as guard:
        return maintenance.counted_drain(
            node,
            flags=flags,
            grace_period=grace_period,
            timeout=timeout,
            dry_run=dry_run,
            reporter=reporter,
            guard=guard,
        )


@job(lambda *, node, **_: f"put node/{node} in maintenance")
def maintain(*, reporter: Reporter, node: str, dry_run: bool = False) -> dict[str, Any]:
    """Cordon and drain a node as one maintenance, recorded on the node."""
    with _locked(reporter, f"node/{node}", dry_run=dry_run) as guard:
        return maintenance.maintain(node, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, node, **_: f"end maintenance of node/{node}")
def unmaintain(*, reporter: Reporter, node: str, dry_run: bool = False) -> dict[str, Any]:
    """Uncordon a node in maintenance and report what the maintenance moved."""
    with _locked(reporter, f"node/{node}", dry_run=dry_run) as guard:
        return maintenance.unmaintain(node, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, deployment, kind=DEPLOYMENT, **_: f"roll back {kind}/{deployment}")
def rollback(
    *,
    reporter: Reporter,
    deployment: str,
    kind: str = DEPLOYMENT,
    namespace: str | None = None,
    to_revision: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """``kubectl rollout undo``: back to the previous revision, or to ``to_revision``.

    ``deployment`` names the workload; ``kind`` (``daemonset``, ``statefulset``) says when it is not a
    Deployment, whose history is its ControllerRevisions instead of ReplicaSets.
    """
    if kind != DEPLOYMENT:
        workload = _workload(kind, deployment, namespace)
        with _locked(reporter, workload.key, dry_run=dry_run) as guard:
            return workloads.rollback(
                workload, to_revision=to_revision, dry_run=dry_run, reporter=reporter, guard=guard
            )
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.rollback(
            target, to_revision=to_revision, dry_run=dry_run, reporter=reporter, guard=guard
        )


@job(lambda *, deployment, kind=DEPLOYMENT, **_: f"show the history of {kind}/{deployment}")
def history(
    *,
    reporter: Reporter,
    deployment: str,
    kind: str = DEPLOYMENT,
    namespace: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """``kubectl rollout history`` of a Deployment, DaemonSet or StatefulSet."""
    if kind != DEPLOYMENT:
        return workloads.history(_workload(kind, deployment, namespace), reporter=reporter)
    return deployments.history(_deployment(deployment, namespace), reporter=reporter)


@job(lambda *, deployment, kind=DEPLOYMENT, **_: f"show the rollout status of {kind}/{deployment}")
def status(
    *,
    reporter: Reporter,
    deployment: str,
    kind: str = DEPLOYMENT,
    namespace: str | None = None,
    timeout: float | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """``kubectl rollout status`` with a deadline (default 120 s)."""
    seconds = deployments.STATUS_WAIT_SECONDS if timeout is None else timeout
    if kind != DEPLOYMENT:
        return workloads.status(_workload(kind, deployment, namespace), reporter=reporter, seconds=seconds)
    return deployments.status(_deployment(deployment, namespace), reporter=reporter, seconds=seconds)


@job(lambda *, deployment, **_: f"restart deployment/{deployment}")
def restart(
    *, reporter: Reporter, deployment: str, namespace: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """``kubectl rollout restart``."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.restart(target, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, deployment, replicas, **_: f"scale deployment/{deployment} to {replicas}")
def scale(
    *, reporter: Reporter, deployment: str, replicas: int, namespace: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Set a deployment's replica count (scale subresource)."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.scale(target, replicas=replicas, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, deployment, image, **_: f"set the image of deployment/{deployment} to {image}")
def image(
    *,
    reporter: Reporter,
    deployment: str,
    image: str,
    container: str | None = None,
    namespace: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Set a container's image and follow the rollout."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.image(
            target, image=image, container=container, dry_run=dry_run, reporter=reporter, guard=guard
        )


@job(lambda *, deployment, strategy, **_: f"set the strategy of deployment/{deployment} to {strategy}")
def strategy(
    *,
    reporter: Reporter,
    deployment: str,
    strategy: str,
    max_surge: int | str | None = None,
    max_unavailable: int | str | None = None,
    namespace: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Switch between RollingUpdate (with surge/unavailable) and Recreate."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.strategy(
            target,
            kind=strategy,
            max_surge=max_surge,
            max_unavailable=max_unavailable,
            dry_run=dry_run,
            reporter=reporter,
            guard=guard,
        )


@job(lambda *, deployment, **_: f"pause deployment/{deployment}")
def pause(
    *, reporter: Reporter, deployment: str, namespace: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """``kubectl rollout pause``."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.pause(target, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, deployment, **_: f"resume deployment/{deployment}")
def resume(
    *, reporter: Reporter, deployment: str, namespace: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """``kubectl rollout resume``."""
    target = _deployment(deployment, namespace)
    with _locked(reporter, target.key, dry_run=dry_run) as guard:
        return deployments.resume(target, dry_run=dry_run, reporter=reporter, guard=guard)


@job(lambda *, version, **_: f"upgrade the control plane to {version}")
def upgrade_control_plane(*, reporter: Reporter, version: str, dry_run: bool = False) -> dict[str, Any]:
    """kube-apiserver, then controller-manager and scheduler, to ``version`` (one minor at a time)."""
    return _upgrade_control_plane(version, dry_run=dry_run, reporter=reporter)


@job(lambda *, version, strategy="one-at-a-time", **_: f"upgrade the nodes to {version} ({strategy})")
def upgrade_nodes(
    *,
    reporter: Reporter,
    version: str,
    strategy: str = "one-at-a-time",
    nodes: list[str] | None = None,
    force: bool = False,
    delete_emptydir_data: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Upgrade kubelets to ``version`` one at a time, all at once, or by surge; resumable after a crash."""
    options = NodeOptions(
        strategy=NodeUpgradeStrategy(strategy),
        flags=DrainFlags(force=force, delete_emptydir_data=delete_emptydir_data),
    )
    return _upgrade_nodes(
        version, nodes=tuple(nodes or ()), options=options, dry_run=dry_run, reporter=reporter
    )


@job(lambda **_: "summarise the nodes")
def nodes(*, reporter: Reporter, dry_run: bool = False) -> dict[str, Any]:
    """Summarise nodes: status, roles, kubelet version and pod count; problem nodes first."""
    node_items, _ = list_all(cluster.core().list_node, missing="the node list endpoint is missing")
    pod_items, _ = list_all(
        cluster.core().list_pod_for_all_namespaces, missing="the pod list endpoint is missing"
    )
    pods_per_node: dict[str, int] = {}
    for pod in pod_items:
        name = (pod.get("spec") or {}).get("nodeName")
        if name and (pod.get("status") or {}).get("phase") not in {"Succeeded", "Failed"}:
            pods_per_node[name] = pods_per_node.get(name, 0) + 1
    rows = []
    for node in node_items:
        meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
        )
        state = "Ready" if ready else "NotReady"
        if spec.get("unschedulable"):
            state += ",SchedulingDisabled"
        roles = ",".join(
            sorted(
                label.removeprefix("node-role.kubernetes.io/")
                for label in meta.get("labels") or {}
                if label.startswith("node-role.kubernetes.io/")
            )
        )
        version = (status.get("nodeInfo") or {}).get("kubeletVersion", "")
        rows.append((meta["name"], state, roles or "<none>", version, pods_per_node.get(meta["name"], 0)))
    rows.sort(key=lambda row: (row[1] == "Ready", row[0]))
    shown = rows[:NODES_SHOWN]
    not_ready = sum(1 for row in rows if row[1].startswith("NotReady"))
    cordoned = sum(1 for row in rows if "SchedulingDisabled" in row[1])
    long = len(rows) > len(shown)
    summary = messages.nodes_summary(
        shown,
        total=len(rows),
        shown=len(shown),
        not_ready=not_ready,
        cordoned=cordoned,
        file=messages.nodes_file() if long else None,
    )
    whole = attachment(messages.nodes_file(), messages.nodes_table(rows) + "\n") if long else {}
    reporter.progress(summary, **whole)
    return {"nodes": len(rows), "not_ready": not_ready, "cordoned": cordoned}


__all__ = [
    "NotFound",
    "backup_config",
    "backup_list",
    "backup_restore",
    "backup_secrets",
    "backup_show",
    "cordon",
    "drain",
    "etcd_restore",
    "etcd_snapshot",
    "etcd_status",
    "history",
    "image",
    "maintain",
    "nodes",
    "pause",
    "restart",
    "resume",
    "rollback",
    "scale",
    "status",
    "strategy",
    "uncordon",
    "unmaintain",
    "upgrade_control_plane",
    "upgrade_nodes",
    "upgrade_plan",
]
