"""``upgrade control-plane VERSION``, one component at a time.

Control plane (in kubeadm's order, https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/):
refuse a skipped minor, a downgrade, and a target some kubelet or kube-proxy would be too old for; then
kube-apiserver (every instance) → kube-controller-manager → kube-scheduler, each through the
:class:`~workers.upgraders.ControlPlaneUpgrader` and confirmed by reading its mirror pod (and ``/version``);
then kube-proxy's DaemonSet follows to the new version (:mod:`workers.kube_proxy`). etcd is left alone
(upgraded separately). A re-run resumes: a component already at the target is skipped, and the current
version is the *oldest* component's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from shared.messages import upgrade_runs as run_wording
from shared.messages import upgrades as wording
from workers import cluster
from workers.errors import Cancelled, JobError
from workers.kube import list_all, read
from workers.kube_proxy import follow_control_plane, lags_behind
from workers.locks import UPGRADE_LOCK, TargetLock
from workers.report import Reporter
from workers.upgrade_reads import (
    CONTROL_PLANE_ORDER,
    READY_TIMEOUT_SECONDS,
    apiserver_version,
    name_of,
    wait_until,
)
from workers.upgraders import configured
from workers.upgrades import read_inventory, resolve_target
from workers.versions import Version, image_tag, parse_version, too_old_for

# --- the control plane --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ComponentPod:
    """One control-plane component instance, known by its mirror pod."""

    component: str
    pod: str
    node: str
    version: Version


def control_plane_pods() -> list[ComponentPod]:
    """kube-apiserver, controller-manager and scheduler mirror pods in kube-system, in upgrade order."""
    pods, _ = list_all(
        cluster.core().list_namespaced_pod, "kube-system", missing=wording.namespace_missing("kube-system")
    )
    found = []
    for pod in pods:
        component = ((pod.get("metadata") or {}).get("labels") or {}).get("component")
        if component not in CONTROL_PLANE_ORDER:
            continue
        version = _pod_version(pod, component)
        if version is not None:
            node = str((pod.get("spec") or {}).get("nodeName") or "?")
            found.append(ComponentPod(component, name_of(pod), node, version))
    return sorted(found, key=lambda p: (CONTROL_PLANE_ORDER.index(p.component), p.node, p.pod))


def _pod_version(pod: Mapping[str, Any], component: str) -> Version | None:
    containers = (pod.get("spec") or {}).get("containers") or []
    chosen = next((c for c in containers if c.get("name") == component), containers[0] if containers else {})
    tag = image_tag(str(chosen.get("image", "")))
    return parse_version(tag) if tag else None


def upgrade_control_plane(version: str, *, dry_run: bool, reporter: Reporter) -> dict[str, Any]:
    """Plan, then upgrade kube-apiserver → controller-manager → scheduler to ``version``."""
    pods = control_plane_pods()
    if not pods:
        raise JobError(run_wording.no_static_control_plane())
    current = min(p.version for p in pods)
    target = _finishing(current, version) or resolve_target(current, version)
    too_old = too_old_for(target, read_inventory().components)
    if too_old:
        nodes = sorted({c.where for c in too_old})
        raise JobError(
            run_wording.nodes_too_old_for_control_plane(nodes, target=str(target), current=str(current))
        )
    steps = [(p.component, p.node, str(p.version), not p.version.is_older_than(target)) for p in pods]
    reporter.emit_plan(run_wording.control_plane_plan(current=str(current), target=str(target), steps=steps))
    result: dict[str, Any] = {
        "current": str(current),
        "target": str(target),
        "steps": [{"component": p.component, "node": p.node, "from": str(p.version)} for p in pods],
    }
    if dry_run:
        return {**result, "dry_run": True}
    upgrader = configured()
    done: list[str] = []
    with TargetLock(reporter.connection, UPGRADE_LOCK, cluster=reporter.request.cluster) as lock:
        for pod in pods:
            label = f"{pod.component}@{pod.node}"
            if reporter.cancel_requested():
                remaining = [f"{p.component}@{p.node}" for p in pods if f"{p.component}@{p.node}" not in done]
                raise Cancelled(run_wording.upgrade_cancelled(done, remaining=remaining))
            if not pod.version.is_older_than(target):
                reporter.progress(
                    run_wording.component_skipped(pod.component, node=pod.node, version=str(pod.version))
                )
                done.append(label)
                continue
            lock.check()
            reporter.progress(run_wording.component_started(pod.component, node=pod.node, target=str(target)))
            upgrader.upgrade_component(pod.component, pod=pod.pod, node=pod.node, version=target)
            now = _wait_component(pod, target)
            reporter.progress(run_wording.component_done(pod.component, node=pod.node, version=str(now)))
            if pod.component == "kube-apiserver":
                reporter.progress(run_wording.apiserver_reports(str(_wait_apiserver(target))))
            done.append(label)
        lock.check()
        kube_proxy = follow_control_plane(target, reporter=reporter)
    reporter.progress(run_wording.etcd_separate())
    reporter.progress(run_wording.control_plane_done(str(target)))
    return {**result, "upgraded": done, "kube_proxy": kube_proxy, "version": str(apiserver_version())}


def _finishing(current: Version, version: str) -> Version | None:
    """``current`` when the control plane is at ``version`` already but kube-proxy is not.

    That is a run stopped after its last component and before kube-proxy: the same command again
    finishes it (every component is skipped) rather than being refused as "already there".
    """
    target = parse_version(version)
    if target is None or target != current or not lags_behind(target):
        return None
    return target


def _wait_component(pod: ComponentPod, target: Version) -> Version:
    seen: list[Version] = []

    def arrived() -> bool:
        found = read(
            cluster.core().read_namespaced_pod,
            pod.pod,
            "kube-system",
            missing=run_wording.component_pod_missing(pod.component, pod.pod),
        )
        version = _pod_version(found, pod.component)
        seen[:] = [version] if version is not None else []
        return version is not None and not version.is_older_than(target)

    if not wait_until(arrived, seconds=READY_TIMEOUT_SECONDS):
        raise JobError(
            run_wording.component_timeout(
                pod.component, node=pod.node, target=str(target), seconds=READY_TIMEOUT_SECONDS
            )
        )
    return seen[0]


def _wait_apiserver(target: Version) -> Version:
    seen: list[Version] = []

    def arrived() -> bool:
        seen[:] = [apiserver_version()]
        return not seen[0].is_older_than(target)

    if not wait_until(arrived, seconds=READY_TIMEOUT_SECONDS):
        raise JobError(
            run_wording.component_timeout(
                "kube-apiserver", node="/version", target=str(target), seconds=READY_TIMEOUT_SECONDS
            )
        )
    return seen[0]
