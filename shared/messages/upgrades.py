"""Sentences about cluster upgrades: the skew rule in force, violations, the plan's steps, capacity per
strategy, refusals (skipped minors, downgrades) and what the plan says; carrying it out is in
:mod:`shared.messages.upgrade_runs`, the hooks in :mod:`shared.messages.upgrade_hooks`.

Functions take plain values (names, version strings, numbers) so the core stays free of worker types.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.text_safety import code


def _cpu(cores: float) -> str:
    return f"{cores:.2f}".rstrip("0").rstrip(".") + " CPU"


def _memory(size: float) -> str:
    return f"{size / 2**30:.1f} GiB"


def count_pods(pods: Sequence[str]) -> str:
    return "1 pod" if len(pods) == 1 else f"{len(pods)} pods"


def listed_pods(pods: Sequence[str]) -> str:
    return ", ".join(code(pod) for pod in pods)


def listed_names(names: Sequence[str]) -> str:
    return ", ".join(code(name) for name in names) if names else "none"


# --- refusals ----------------------------------------------------------------------------------------


def version_unreadable(text: str) -> str:
    """A version that is not ``vMAJOR.MINOR[.PATCH]``."""
    return f"{code(text)} is not a Kubernetes version (expected something like v1.32 or v1.32.1)."


def namespace_missing(namespace: str) -> str:
    """The control plane's namespace is missing."""
    return f"Namespace {code(namespace)} does not exist, so the control plane's versions cannot be read."


def minor_skipped(*, current: str, target: str, steps: Sequence[str]) -> str:
    """kube-apiserver must not skip a minor version."""
    return (
        f"Refused: going from {code(current)} to {code(target)} skips a minor version, and kube-apiserver must be "
        f"upgraded one minor at a time. Upgrade through {' → '.join(code(step) for step in steps)}, "
        "one plan at a time."
    )


def downgrade_refused(*, current: str, target: str) -> str:
    """A target older than the control plane."""
    return f"Refused: {code(target)} is older than the control plane ({code(current)}); downgrades are not supported."


def already_at(current: str) -> str:
    """The target is the version already running."""
    return f"The control plane is already at {code(current)}; nothing to upgrade."


# --- the plan ----------------------------------------------------------------------------------------


def plan_heading(*, current: str, target: str, kind: str) -> str:
    """First line of a plan."""
    what = "a patch upgrade" if kind == "patch" else "one minor version up"
    return f"*Upgrade plan* {code(current)} → {code(target)} ({what})."


def rule_in_force(reason: str) -> str:
    """Which skew rule applies now, and why."""
    return f"Skew rule now: {reason}."


def rule_after(reason: str) -> str:
    """The rule that will apply once the control plane is at the target (when it differs)."""
    return f"After the control-plane upgrade: {reason}."


def inventory_line(kind: str, versions: Sequence[tuple[str, str]]) -> str:
    """One component and where each version of it runs."""
    grouped: dict[str, list[str]] = {}
    for where, version in versions:
        grouped.setdefault(version, []).append(where)
    parts = [f"{code(version)} on {', '.join(places)}" for version, places in sorted(grouped.items())]
    return f"• {kind}: {'; '.join(parts) if parts else 'not found'}"


def no_violations() -> str:
    """Every component is within the rule today."""
    return "No skew violations today."


def violation_line(*, kind: str, where: str, version: str, low: str, high: str, why: str) -> str:
    """One component outside its allowed range."""
    return f"• Violation: {kind} {code(version)} on {where} is outside {low}–{high} ({why})."


def too_old_line(*, kind: str, where: str, version: str, target: str) -> str:
    """A node component that cannot stay through the control-plane upgrade."""
    return f"• {kind} {code(version)} on {code(where)} is too old for a {code(target)} control plane."


def too_old_warning(nodes: Sequence[str], *, target: str) -> str:
    """The control-plane upgrade is blocked until these nodes are upgraded."""
    return (
        f"Before the control plane can go to {code(target)}, upgrade (or replace) {listed_names(nodes)}: their kubelet "
        "or kube-proxy would fall outside the skew rule. They can go up to the current control-plane version first."
    )


def steps(*, target: str, too_old: Sequence[str], nodes: Sequence[str]) -> str:
    """The order of steps, per the upgrade order of §5."""
    lines = ["Steps, in order:"]
    if too_old:
        lines.append(
            f"0. Upgrade the nodes too old to stay ({listed_names(too_old)}) to the current control-plane version."
        )
    lines += [
        f"1. kube-apiserver → {code(target)} (every instance; workloads keep running, the API is briefly unavailable), "
        "then each control-plane node's kubelet.",
        f"2. kube-controller-manager and kube-scheduler → {code(target)}.",
        f"3. worker kubelets → {code(target)}, node by node (drain, upgrade, wait Ready, uncordon): {listed_names(nodes)}.",
        f"4. kube-proxy → {code(target)}.",
    ]
    return "\n".join(lines)


def etcd_line(versions: Sequence[tuple[str, str]]) -> str:
    """etcd's version, which kubeadm pins per Kubernetes release (not part of the skew rule)."""
    return inventory_line("etcd (pinned by the installer, not part of the skew rule)", versions)


def capacity_heading(strategy: str) -> str:
    """Heading of one strategy's capacity estimate."""
    explanations = {
        "one-at-a-time": "one node at a time, its pods move to the others and come back",
        "all-at-once": "every node at once, with downtime",
        "surge": "new nodes at the new version first, then move workloads off each old node",
    }
    return f"_{strategy}_ ({explanations.get(strategy, strategy)}):"


def capacity_line(
    *,
    out: Sequence[str],
    nodes_left: int,
    cpu_free: float,
    memory_free: float,
    pods_moving: int,
    cpu_moving: float,
    memory_moving: float,
    fits: bool,
    budgets_waiting: Sequence[str],
    added: int = 0,
) -> str:
    """The room left while ``out`` are drained, and whether their pods fit."""
    surge = f" (+{added} new)" if added else ""
    if nodes_left == 0:
        verdict = f"no node left to take {pods_moving} pods: they are down until nodes return"
    else:
        verdict = (
            f"{pods_moving} pods ({_cpu(cpu_moving)}, {_memory(memory_moving)}) move into "
            f"{_cpu(cpu_free)}, {_memory(memory_free)} free on {nodes_left} nodes{surge}: "
            + ("fits" if fits else "does NOT fit")
        )
    budgets = f"; evictions wait for PDB {listed_names(budgets_waiting)}" if budgets_waiting else ""
    return f"• {listed_names(out)} out: {verdict}{budgets}."


def nothing_for_nodes(target: str) -> str:
    """Every kubelet is already at the target."""
    return f"Every kubelet is already at {code(target)}; no node upgrade needed."
