"""Sentences while an upgrade is carried out: the upgrader, the control plane component by component,
and the nodes one by one (their steps, states and what is left).

The skew rule and the plan are in :mod:`shared.messages.upgrades`, the upgrade hooks in
:mod:`shared.messages.upgrade_hooks`.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.messages.upgrades import count_pods, listed_names, listed_pods
from shared.text_safety import code

# --- carrying out upgrades: the upgrader ---------------------------------------------------------------


def node_missing(node: str) -> str:
    """A node the upgrade works on disappeared (or never existed)."""
    return f"There is no node {code(node)} in this cluster. `nodes` lists them."


def component_pod_missing(component: str, pod: str) -> str:
    """The mirror pod of a control-plane component is gone."""
    return f"The {component} pod {code(pod)} is gone from kube-system; its static pod is not running."


def upgrader_failed(component: str, where: str, detail: str) -> str:
    """The upgrader could not do its part."""
    return f"Upgrading {component} on {code(where)} failed: {detail}"


def no_upgrader() -> str:
    """A real cluster with no upgrader configured."""
    return (
        "No upgrader is configured for this cluster: replacing kubelet and control-plane binaries happens "
        "outside the Kubernetes API (kubeadm, a node-pool API or a hook command), so the worker needs one. "
        "Only kubesim has a built-in upgrader."
    )


# --- upgrade control-plane ---------------------------------------------------------------------------


def no_static_control_plane() -> str:
    """No control-plane mirror pods: a managed control plane."""
    return (
        "No control-plane static pods (kube-apiserver, kube-controller-manager, kube-scheduler) were found in "
        "kube-system: this control plane is managed elsewhere (a cloud provider), so upgrade it there."
    )


def nodes_too_old_for_control_plane(nodes: Sequence[str], *, target: str, current: str) -> str:
    """Refusal: kubelets would fall outside the skew rule once the control plane moves."""
    upgrade = code(f"upgrade nodes {current} --nodes {','.join(nodes)}")
    return (
        f"Refused: with the control plane at {code(target)}, the kubelet or kube-proxy of {listed_names(nodes)} would be "
        f"outside the version skew rule. Upgrade them first ({upgrade}), then the control plane."
    )


def control_plane_plan(*, current: str, target: str, steps: Sequence[tuple[str, str, str, bool]]) -> str:
    """The control-plane steps, in order: (component, node, version now, already at target)."""
    lines = [f"*Control-plane upgrade* {code(current)} → {code(target)}, in this order:"]
    for number, (component, node, version, done) in enumerate(steps, start=1):
        state = "already there, skipped" if done else f"{code(version)} → {code(target)}"
        lines.append(f"{number}. {component} on {code(node)}: {state}.")
    lines.append(
        "Workloads keep running throughout; the API is briefly unavailable while kube-apiserver restarts."
    )
    lines.append(etcd_separate())
    lines.append(control_plane_kubelets_later(target))
    return "\n".join(lines)


def etcd_separate() -> str:
    """etcd is not part of this upgrade."""
    return (
        "etcd is not touched: its version is pinned by the installer and upgraded separately "
        "(take an `etcd snapshot` before)."
    )


def control_plane_kubelets_later(target: str) -> str:
    """The control-plane nodes' kubelets go with the nodes."""
    return f"Control-plane nodes' kubelets are upgraded with {code(f'upgrade nodes {target} --nodes …')}."


def component_started(component: str, *, node: str, target: str) -> str:
    """One control-plane step begins."""
    return f"Upgrading {component} on {code(node)} to {code(target)}…"


def component_done(component: str, *, node: str, version: str) -> str:
    """One control-plane step is done."""
    return f"{component} on {code(node)} now runs {code(version)}."


def component_skipped(component: str, *, node: str, version: str) -> str:
    """A component already at the target (a re-run after a crash)."""
    return f"{component} on {code(node)} is already at {code(version)}; skipped."


def apiserver_reports(version: str) -> str:
    """``/version`` answers with the new version."""
    return f"The API server now reports {code(version)}."


def control_plane_done(target: str) -> str:
    """The whole control plane is at the target."""
    return f"Control plane upgraded to {code(target)}. Next: {code(f'upgrade nodes {target}')}."


def component_timeout(component: str, *, node: str, target: str, seconds: float) -> str:
    """A component did not come back at the new version in time."""
    return f"{component} on {code(node)} did not report {code(target)} within {seconds:.0f} s; stopped here."


def upgrade_cancelled(done: Sequence[str], *, remaining: Sequence[str]) -> str:
    """Cancelled between two steps."""
    return f"Cancelled between steps. Done: {listed_names(done)}. Not done: {listed_names(remaining)}. Re-run to resume."


# --- upgrade nodes -----------------------------------------------------------------------------------


def newer_than_control_plane(*, target: str, control_plane: str) -> str:
    """Kubelets must never be newer than kube-apiserver."""
    return (
        f"Refused: {code(target)} is newer than the control plane ({code(control_plane)}), and a kubelet must "
        f"never be newer than kube-apiserver. Run {code(f'upgrade control-plane {target}')} first."
    )


def unknown_nodes(nodes: Sequence[str]) -> str:
    """``--nodes`` named nodes that do not exist."""
    return f"There is no node {listed_names(nodes)} in this cluster. `nodes` lists them."


def nodes_already_there(target: str) -> str:
    """Nothing to do."""
    return f"Every selected node is already at {code(target)} or newer; nothing to upgrade."


def drain_flags_needed(refusals: Sequence[tuple[str, str, Sequence[str]]]) -> str:
    """Refused up front: some pods may only go with flags (node, kubectl's message, pods)."""
    lines = ["Refused before touching any node: draining would stop at these pods:"]
    lines += [
        f"• {code(node)}: {message}: {', '.join(code(p) for p in pods)}" for node, message, pods in refusals
    ]
    lines.append(
        "Move or delete them first, or re-run with --force (deletes pods that declare no controller) and/or "
        "--delete-emptydir-data (their emptyDir data is lost)."
    )
    return "\n".join(lines)


def in_maintenance(nodes: Sequence[str]) -> str:
    """Refused: selected nodes are in an operator's maintenance."""
    return f"Refused: {listed_names(nodes)} are in maintenance; end it with `unmaintain` first, then upgrade."


_STRATEGY_STEPS = {
    "one-at-a-time": "one node at a time: drain (its pods move to the others), upgrade the kubelet, wait Ready, "
    "uncordon; pods come back as the next nodes are drained",
    "all-at-once": "every node at once: cordon all, upgrade every kubelet, wait Ready, uncordon all (no drain: "
    "pods stay where they are and are disrupted while kubelets restart)",
    "surge": "a new node at the new version first, then the old node is drained onto it and retired (deleted), "
    "so capacity never drops",
}


def nodes_plan(
    *,
    target: str,
    control_plane: str,
    strategy: str,
    upgrade: Sequence[tuple[str, str, str | None]],
    skipped: Sequence[tuple[str, str]],
    replacements: Sequence[tuple[str, str]] = (),
) -> str:
    """The node upgrade plan: (node, version now, step to resume at) to upgrade, (node, version) skipped."""
    lines = [
        f"*Node upgrade* to {code(target)} (control plane at {code(control_plane)}), {strategy}: "
        f"{_STRATEGY_STEPS.get(strategy, strategy)}."
    ]
    new_names = dict(replacements)
    for node, version, resume in upgrade:
        surge = f", replaced by new node {code(new_names[node])}" if node in new_names else ""
        again = f" (resumes at step {resume}: a previous run stopped there)" if resume else ""
        lines.append(f"• {code(node)} {code(version)} → {code(target)}{surge}{again}")
    lines += [f"• {code(node)} already at {code(version)}: skipped" for node, version in skipped]
    return "\n".join(lines)


def downtime_warning(nodes: Sequence[str]) -> str:
    """all-at-once takes every node out together."""
    return (
        f"All at once: {listed_names(nodes)} are cordoned and upgraded together. Nothing is drained (there would be "
        "nowhere to go): workloads on them are disrupted while their kubelets restart — expect downtime."
    )


def node_step(node: str, step: str) -> str:
    """One step on one node begins."""
    texts = {
        "drain": "draining",
        "cordon": "cordoning",
        "upgrade": "upgrading the kubelet",
        "ready": "waiting until Ready at the new version",
        "uncordon": "uncordoning",
        "provision": "adding its replacement",
        "retire": "retiring it",
    }
    return f"{code(node)}: {texts.get(step, step)}…"


def node_resumed(node: str, step: str) -> str:
    """A re-run picks a node up where a previous run stopped."""
    return f"{code(node)}: resuming at step {step} (a previous run stopped there)."


def node_ready(node: str, version: str) -> str:
    """The node reports Ready at the new version."""
    return f"{code(node)} is Ready with kubelet {code(version)}."


def node_not_ready(node: str, *, target: str, seconds: float) -> str:
    """The node did not come back in time."""
    return f"{code(node)} did not report Ready with kubelet {code(target)} within {seconds:.0f} s; it stays cordoned."


def node_upgraded(
    node: str, *, version: str, moved: Sequence[str], back: Sequence[str], kept_cordoned: bool
) -> str:
    """One node is done: what moved off it, and what runs on it now (pods come back as later nodes drain)."""
    state = "left cordoned, as it was before the upgrade" if kept_cordoned else "uncordoned"
    moved_text = f"{count_pods(moved)} moved off ({listed_pods(moved)})" if moved else "no pods moved"
    back_text = f"{count_pods(back)} on it now ({listed_pods(back)})" if back else "no pod on it yet"
    return f"{code(node)} upgraded to {code(version)} and {state}: {moved_text}; {back_text}."


def node_replaced(old: str, *, new: str, version: str, moved: Sequence[str]) -> str:
    """surge: one old node was replaced."""
    moved_text = ", ".join(code(p) for p in moved) if moved else "no pods"
    return f"{code(old)} drained onto {code(new)} ({code(version)}) and retired; moved: {moved_text}."


def pods_still_pending(pods: Sequence[str]) -> str:
    """Pods that did not find a node again in time."""
    return f"Still waiting for a node: {', '.join(code(p) for p in pods)}."


def nodes_done(target: str, nodes: Sequence[str]) -> str:
    """Every selected node is at the target."""
    return f"Node upgrade to {code(target)} finished: {listed_names(nodes)}."


def node_states(states: Sequence[tuple[str, str]]) -> str:
    """Where every node stands after a stop."""
    return "Node states: " + "; ".join(f"{code(node)} {state}" for node, state in states) + "."


def state_upgraded(version: str) -> str:
    """A node's state after a stop: done."""
    return f"upgraded to {code(version)}"


def state_skipped(version: str) -> str:
    """A node's state after a stop: it needed nothing."""
    return f"already at {code(version)}"


def state_not_started() -> str:
    """A node's state after a stop: untouched."""
    return "not started"


def state_stopped(step: str) -> str:
    """A node's state after a stop: mid-way (its checkpoint says where; a re-run resumes there)."""
    return f"stopped at step {step} (re-run to resume)"


def state_replaced(version: str, replacement: str) -> str:
    """A node's state after a stop: replaced by a new node (surge)."""
    return f"upgraded to {code(version)} (replaced by {code(replacement)})"
