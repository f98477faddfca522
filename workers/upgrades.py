"""``upgrade plan [VERSION]``: what upgrading the cluster one minor up would take, read from the cluster.

The inventory comes from the API only: kube-apiserver's ``/version``; controller-manager, scheduler,
etcd (and each apiserver instance) from the control plane's static mirror pods in kube-system; every
kubelet from its node's status; kube-proxy from its pods (or its DaemonSet's image). The plan says which
skew rule applies and why (:mod:`workers.versions`), what breaks the rule today, refuses a skipped minor,
orders the steps, names the nodes too old to stay through the control-plane upgrade, and for the node
upgrade estimates the capacity left at each step of each strategy from pod requests and PDBs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubernetes import client

from shared.commands import NodeUpgradeStrategy
from shared.messages import upgrades as wording
from workers import cluster
from workers.budgets import covering, state_of
from workers.errors import JobError
from workers.kube import call_json, list_all, read
from workers.pods import controller_of, is_finished
from workers.report import Reporter
from workers.runtime import job
from workers.versions import (
    Component,
    SkewRule,
    Version,
    Violation,
    check_target,
    image_tag,
    parse_version,
    rule_for,
    too_old_for,
    violations,
)

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
STATIC_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
KUBE_PROXY_SELECTOR = "k8s-app=kube-proxy"

# --- quantities --------------------------------------------------------------------------------------

_QUANTITY = re.compile(r"([0-9.]+(?:[eE][-+]?[0-9]+)?)([A-Za-z]*)")
_SUFFIX = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
}  # fmt: skip


def quantity(text: object) -> float:
    """A Kubernetes quantity (``100m``, ``16Gi``, ``2``) as a float in base units; 0 when unreadable."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if match is None or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


# --- inventory ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NodeState:
    """A node as the plan sees it: its kubelet, whether workloads may land on it, and its room."""

    name: str
    kubelet: Version | None
    ready: bool
    schedulable: bool
    control_plane: bool
    cpu: float
    memory: float


@dataclasses.dataclass(frozen=True)
class Inventory:
    """Everything the plan is computed from."""

    apiserver: Version
    components: tuple[Component, ...]
    etcd: tuple[tuple[str, str], ...]
    nodes: tuple[NodeState, ...]
    pods: tuple[Mapping[str, Any], ...]
    budgets: tuple[Mapping[str, Any], ...]


def _node_state(node: Mapping[str, Any]) -> NodeState:
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    repelling = any(t.get("effect") in {"NoSchedule", "NoExecute"} for t in spec.get("taints") or [])
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    return NodeState(
        name=str(meta.get("name")),
        kubelet=parse_version(str((status.get("nodeInfo") or {}).get("kubeletVersion", ""))),
        ready=ready,
        schedulable=not spec.get("unschedulable") and not repelling,
        control_plane=CONTROL_PLANE_LABEL in (meta.get("labels") or {}),
        cpu=quantity(allocatable.get("cpu", 0)),
        memory=quantity(allocatable.get("memory", 0)),
    )


def _container_version(pod: Mapping[str, Any]) -> Version | None:
    for container in (pod.get("spec") or {}).get("containers") or []:
        tag = image_tag(str(container.get("image", "")))
        if tag and (version := parse_version(tag)) is not None:
            return version
    return None


def read_inventory() -> Inventory:
    """Read the versions, nodes, pods and budgets of the configured cluster."""
    info = call_json(client.VersionApi(cluster.api_client()).get_code)
    apiserver = parse_version(str(info.get("gitVersion", "")))
    if apiserver is None:
        raise JobError(wording.version_unreadable(str(info.get("gitVersion", ""))))
    system_pods, _ = list_all(
        cluster.core().list_namespaced_pod, "kube-system", missing=wording.namespace_missing("kube-system")
    )
    components: list[Component] = []
    etcd: list[tuple[str, str]] = []
    for pod in system_pods:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        where = str((pod.get("spec") or {}).get("nodeName") or "?")
        kind = labels.get("component")
        if kind == "etcd":
            image = next(iter((pod.get("spec") or {}).get("containers") or [{}])).get("image", "")
            etcd.append((where, image_tag(str(image)) or "unknown"))
        elif kind in STATIC_COMPONENTS and (version := _container_version(pod)) is not None:
            components.append(Component(kind, where, version))
        elif labels.get("k8s-app") == "kube-proxy" and (version := _container_version(pod)) is not None:
            components.append(Component("kube-proxy", where, version))
    if not any(c.kind == "kube-apiserver" for c in components):
        components.append(Component("kube-apiserver", "the API endpoint", apiserver))
    node_items, _ = list_all(cluster.core().list_node, missing="the node list is missing")
    nodes = tuple(sorted((_node_state(node) for node in node_items), key=lambda n: n.name))
    components.extend(Component("kubelet", n.name, n.kubelet) for n in nodes if n.kubelet is not None)
    if not any(c.kind == "kube-proxy" for c in components):
        components.extend(_kube_proxy_from_daemonset(nodes))
    pods, _ = list_all(cluster.core().list_pod_for_all_namespaces, missing="the pod list is missing")
    budgets, _ = list_all(
        cluster.policy().list_pod_disruption_budget_for_all_namespaces, missing="the PDB list is missing"
    )
    return Inventory(
        apiserver=apiserver,
        components=tuple(components),
        etcd=tuple(sorted(etcd)),
        nodes=nodes,
        pods=tuple(pods),
        budgets=tuple(budgets),
    )


def _kube_proxy_from_daemonset(nodes: Iterable[NodeState]) -> list[Component]:
    try:
        daemonset = read(
            cluster.apps().read_namespaced_daemon_set, "kube-proxy", "kube-system", missing="no kube-proxy"
        )
    except JobError:
        return []
    version = _container_version((daemonset.get("spec") or {}).get("template") or {})
    return [] if version is None else [Component("kube-proxy", node.name, version) for node in nodes]


# --- capacity ----------------------------------------------------------------------------------------


def moves_on_drain(pod: Mapping[str, Any]) -> bool:
    """Whether draining the pod's node sends it elsewhere (not a DaemonSet or mirror pod, not finished)."""
    owner = controller_of(pod) or {}
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return (
        owner.get("kind") != "DaemonSet"
        and "kubernetes.io/config.mirror" not in annotations
        and not is_finished(pod)
    )


def requests_of(pod: Mapping[str, Any]) -> tuple[float, float]:
    """The pod's summed container requests: (CPU cores, memory bytes)."""
    cpu = memory = 0.0
    for container in (pod.get("spec") or {}).get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += quantity(requests.get("cpu", 0))
        memory += quantity(requests.get("memory", 0))
    return cpu, memory


@dataclasses.dataclass(frozen=True)
class CapacityStep:
    """One step of a node upgrade: which nodes are out, what is left, and whether their pods fit."""

    out: tuple[str, ...]
    nodes_left: int
    cpu_free: float
    memory_free: float
    pods_moving: int
    cpu_moving: float
    memory_moving: float
    budgets_waiting: tuple[str, ...]
    added: int = 0

    @property
    def fits(self) -> bool:
        """Whether the moving pods' requests fit into the room left."""
        return (
            self.nodes_left > 0
            and self.cpu_moving <= self.cpu_free
            and self.memory_moving <= self.memory_free
        )

    def to_json(self) -> dict[str, Any]:
        """JSON for the job result."""
        return {**dataclasses.asdict(self), "fits": self.fits}


def _pods_on(pods: Iterable[Mapping[str, Any]], names: set[str]) -> list[Mapping[str, Any]]:
    return [p for p in pods if (p.get("spec") or {}).get("nodeName") in names and not is_finished(p)]


def capacity_step(
    inventory: Inventory, out: Sequence[str], *, added: Sequence[NodeState] = ()
) -> CapacityStep:
    """The room left with the nodes ``out`` drained (and ``added`` new nodes), and whether their pods fit."""
    out_set = set(out)
    staying = [n for n in inventory.nodes if n.name not in out_set and n.schedulable and n.ready]
    staying_pods = _pods_on(inventory.pods, {n.name for n in staying})
    used_cpu = sum(requests_of(p)[0] for p in staying_pods)
    used_memory = sum(requests_of(p)[1] for p in staying_pods)
    moving = [p for p in _pods_on(inventory.pods, out_set) if moves_on_drain(p)]
    waiting: set[str] = set()
    for budget in inventory.budgets:
        covered = [p for p in moving if covering(p, [budget])]
        state = state_of(budget)
        if covered and len(covered) > state.allowed:
            waiting.add(state.key)
    return CapacityStep(
        out=tuple(out),
        nodes_left=len(staying) + len(added),
        cpu_free=sum(n.cpu for n in [*staying, *added]) - used_cpu,
        memory_free=sum(n.memory for n in [*staying, *added]) - used_memory,
        pods_moving=len(moving),
        cpu_moving=sum(requests_of(p)[0] for p in moving),
        memory_moving=sum(requests_of(p)[1] for p in moving),
        budgets_waiting=tuple(sorted(waiting)),
        added=len(added),
    )


def capacity_by_strategy(
    inventory: Inventory, nodes: Sequence[str]
) -> dict[NodeUpgradeStrategy, list[CapacityStep]]:
    """The steps of upgrading ``nodes`` under each strategy, with the capacity left at each."""
    by_name = {n.name: n for n in inventory.nodes}
    workers = [name for name in nodes if by_name[name].schedulable]
    fresh = [dataclasses.replace(by_name[name], name=f"{name}-new", kubelet=None) for name in workers]
    return {
        NodeUpgradeStrategy.ONE_AT_A_TIME: [capacity_step(inventory, [name]) for name in nodes],
        NodeUpgradeStrategy.ALL_AT_ONCE: [capacity_step(inventory, list(nodes))] if nodes else [],
        NodeUpgradeStrategy.SURGE: [capacity_step(inventory, [name], added=fresh) for name in nodes],
    }


# --- the plan ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UpgradePlan:
    """What ``upgrade plan`` found and proposes."""

    current: Version
    target: Version
    rule_now: SkewRule
    rule_then: SkewRule
    violations: tuple[Violation, ...]
    too_old: tuple[Component, ...]
    nodes_to_upgrade: tuple[str, ...]
    capacity: Mapping[NodeUpgradeStrategy, list[CapacityStep]]
    etcd: tuple[tuple[str, str], ...]
    components: tuple[Component, ...]

    @property
    def too_old_nodes(self) -> tuple[str, ...]:
        """The nodes whose kubelet or kube-proxy is too old to stay through the control-plane upgrade."""
        return tuple(sorted({c.where for c in self.too_old}))

    def to_json(self) -> dict[str, Any]:
        """JSON for the job result."""
        return {
            "current": str(self.current),
            "target": str(self.target),
            "rule": self.rule_now.name,
            "rule_after": self.rule_then.name,
            "violations": [
                {
                    "component": v.component.kind,
                    "where": v.component.where,
                    "version": str(v.component.version),
                    "why": v.why,
                }
                for v in self.violations
            ],
            "too_old": [
                {"component": c.kind, "where": c.where, "version": str(c.version)} for c in self.too_old
            ],
            "too_old_nodes": list(self.too_old_nodes),
            "nodes_to_upgrade": list(self.nodes_to_upgrade),
            "capacity": {str(k): [step.to_json() for step in v] for k, v in self.capacity.items()},
            "etcd": [{"where": where, "version": tag} for where, tag in self.etcd],
        }


def resolve_target(current: Version, version: str | None) -> Version:
    """The version to plan for (``None``: the next minor), refusing skips, downgrades and no-ops."""
    if version is None:
        return current.next_minor()
    target = parse_version(version)
    if target is None:
        raise JobError(wording.version_unreadable(version))
    check = check_target(current, target)
    if check.kind == "skip":
        raise JobError(
            wording.minor_skipped(
                current=str(current), target=str(target), steps=[str(v) for v in check.intermediate]
            )
        )
    if check.kind == "downgrade":
        raise JobError(wording.downgrade_refused(current=str(current), target=str(target)))
    if check.kind == "same":
        raise JobError(wording.already_at(str(current)))
    return target


def plan_upgrade(inventory: Inventory, version: str | None) -> UpgradePlan:
    """The plan for going from the cluster's kube-apiserver version to ``version`` (or the next minor)."""
    current = min(c.version for c in inventory.components if c.kind == "kube-apiserver")
    target = resolve_target(current, version)
    nodes_to_upgrade = tuple(
        n.name
        for n in inventory.nodes
        if not n.control_plane and n.kubelet is not None and n.kubelet.is_older_than(target)
    )
    return UpgradePlan(
        current=current,
        target=target,
        rule_now=rule_for(current),
        rule_then=rule_for(target),
        violations=tuple(violations(inventory.components)),
        too_old=tuple(too_old_for(target, inventory.components)),
        nodes_to_upgrade=nodes_to_upgrade,
        capacity=capacity_by_strategy(inventory, nodes_to_upgrade),
        etcd=inventory.etcd,
        components=inventory.components,
    )


INVENTORY_ORDER = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")


def plan_text(plan: UpgradePlan) -> str:
    """The plan as people read it, sentence by sentence from :mod:`shared.messages.upgrades`."""
    kind = check_target(plan.current, plan.target).kind
    lines = [wording.plan_heading(current=str(plan.current), target=str(plan.target), kind=kind)]
    lines.append(wording.rule_in_force(plan.rule_now.reason))
    if plan.rule_then.name != plan.rule_now.name:
        lines.append(wording.rule_after(plan.rule_then.reason))
    for component_kind in INVENTORY_ORDER:
        found = [(c.where, str(c.version)) for c in plan.components if c.kind == component_kind]
        lines.append(wording.inventory_line(component_kind, found))
    lines.append(wording.etcd_line(plan.etcd))
    lines.extend(
        wording.violation_line(
            kind=v.component.kind,
            where=v.component.where,
            version=str(v.component.version),
            low=str(v.allowed_low),
            high=str(v.allowed_high),
            why=v.why,
        )
        for v in plan.violations
    )
    if not plan.violations:
        lines.append(wording.no_violations())
    lines.extend(
        wording.too_old_line(kind=c.kind, where=c.where, version=str(c.version), target=str(plan.target))
        for c in plan.too_old
    )
    lines.append(
        wording.steps(target=str(plan.target), too_old=plan.too_old_nodes, nodes=plan.nodes_to_upgrade)
    )
    if not plan.nodes_to_upgrade:
        lines.append(wording.nothing_for_nodes(str(plan.target)))
    for strategy, capacity_steps in plan.capacity.items():
        if capacity_steps:
            lines.append(wording.capacity_heading(str(strategy)))
            lines.extend(
                wording.capacity_line(
                    out=step.out,
                    nodes_left=step.nodes_left,
                    cpu_free=step.cpu_free,
                    memory_free=step.memory_free,
                    pods_moving=step.pods_moving,
                    cpu_moving=step.cpu_moving,
                    memory_moving=step.memory_moving,
                    fits=step.fits,
                    budgets_waiting=step.budgets_waiting,
                    added=step.added,
                )
                for step in capacity_steps
            )
    return "\n".join(lines)


@job(lambda *, version=None, **_: f"plan an upgrade to {version or 'the next minor version'}")
def upgrade_plan(*, reporter: Reporter, version: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Show the skew rule in force, today's violations, the steps to ``version`` and the capacity per strategy."""
    plan = plan_upgrade(read_inventory(), version)
    reporter.emit_plan(plan_text(plan))
    if plan.too_old:
        reporter.warning(wording.too_old_warning(plan.too_old_nodes, target=str(plan.target)))
    return {"plan": plan.to_json()}
