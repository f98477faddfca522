"""Sentences about cluster upgrades: the skew rule in force, violations, the plan's steps, capacity per
strategy, refusals (skipped minors, downgrades) and node-by-node progress.

Functions take plain values (names, version strings, numbers) so the core stays free of worker types.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.text_safety import code, escape


def _cpu(cores: float) -> str:
    return f"{cores:.2f}".rstrip("0").rstrip(".") + " CPU"


def _memory(size: float) -> str:
    return f"{size / 2**30:.1f} GiB"


def _count(pods: Sequence[str]) -> str:
    return "1 pod" if len(pods) == 1 else f"{len(pods)} pods"


def _listed(pods: Sequence[str]) -> str:
    return ", ".join(code(pod) for pod in pods)


def _names(names: Sequence[str]) -> str:
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
        f"Before the control plane can go to {code(target)}, upgrade (or replace) {_names(nodes)}: their kubelet "
        "or kube-proxy would fall outside the skew rule. They can go up to the current control-plane version first."
    )


def steps(*, target: str, too_old: Sequence[str], nodes: Sequence[str]) -> str:
    """The order of steps, per the upgrade order of §5."""
    lines = ["Steps, in order:"]
    if too_old:
        lines.append(
            f"0. Upgrade the nodes too old to stay ({_names(too_old)}) to the current control-plane version."
        )
    lines += [
        f"1. kube-apiserver → {code(target)} (every instance; workloads keep running, the API is briefly unavailable), "
        "then each control-plane node's kubelet.",
        f"2. kube-controller-manager and kube-scheduler → {code(target)}.",
        f"3. worker kubelets → {code(target)}, node by node (drain, upgrade, wait Ready, uncordon): {_names(nodes)}.",
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
    budgets = f"; evictions wait for PDB {_names(budgets_waiting)}" if budgets_waiting else ""
    return f"• {_names(out)} out: {verdict}{budgets}."


def nothing_for_nodes(target: str) -> str:
    """Every kubelet is already at the target."""
    return f"Every kubelet is already at {code(target)}; no node upgrade needed."


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
        f"Refused: with the control plane at {code(target)}, the kubelet or kube-proxy of {_names(nodes)} would be "
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
    return f"Cancelled between steps. Done: {_names(done)}. Not done: {_names(remaining)}. Re-run to resume."


# --- upgrade nodes -----------------------------------------------------------------------------------


def newer_than_control_plane(*, target: str, control_plane: str) -> str:
    """Kubelets must never be newer than kube-apiserver."""
    return (
        f"Refused: {code(target)} is newer than the control plane ({code(control_plane)}), and a kubelet must "
        f"never be newer than kube-apiserver. Run {code(f'upgrade control-plane {target}')} first."
    )


def unknown_nodes(nodes: Sequence[str]) -> str:
    """``--nodes`` named nodes that do not exist."""
    return f"There is no node {_names(nodes)} in this cluster. `nodes` lists them."


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
    return f"Refused: {_names(nodes)} are in maintenance; end it with `unmaintain` first, then upgrade."


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
        f"All at once: {_names(nodes)} are cordoned and upgraded together. Nothing is drained (there would be "
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
    moved_text = f"{_count(moved)} moved off ({_listed(moved)})" if moved else "no pods moved"
    back_text = f"{_count(back)} on it now ({_listed(back)})" if back else "no pod on it yet"
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
    return f"Node upgrade to {code(target)} finished: {_names(nodes)}."


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


# --- upgrade hooks (commands and waits on real clusters) ----------------------------------------------


def _output(tail: str) -> str:
    """The end of a hook command's output, as an escaped code block (or a note that there was none)."""
    if not tail.strip():
        return "It printed nothing."
    return "Last lines of its output:\n```\n" + escape(tail) + "\n```"


def hook_setting_invalid(variable: str, expected: str) -> str:
    """A hook setting in the worker's environment has a value the worker cannot use."""
    return f"The worker's setting {code(variable)} is not valid (expected {expected}); fix it and restart the workers."


def hook_not_started(action: str, *, where: str, program: str, reason: str) -> str:
    """The hook command could not be started at all (not found, not executable)."""
    return f"The {action} hook for {code(where)} could not start {code(program)}: {escape(reason)}."


def hook_failed(action: str, *, where: str, program: str, status: int, tail: str) -> str:
    """The hook command ended with a non-zero exit status."""
    how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
    return f"The {action} hook for {code(where)} failed: {code(program)} {how}. {_output(tail)}"


def hook_timed_out(action: str, *, where: str, program: str, seconds: float, tail: str) -> str:
    """The hook command ran out of time and was stopped."""
    return (
        f"The {action} hook for {code(where)} did not finish within {seconds:.0f} s: {code(program)} and "
        f"everything it started were stopped. {_output(tail)}"
    )


def hook_wait_timeout(subject: str, *, target: str | None, seconds: float, seen: str) -> str:
    """Waiting for the cluster to show an upgrade (made by a command or an external system) ran out of time.

    ``subject`` is one of the ``hook_subject_*`` phrases; ``target`` ``None`` means waiting for removal.
    """
    goal = "to be removed" if target is None else f"to reach {code(target)}"
    return (
        f"Waited {seconds:.0f} s for {subject} {goal}, but it still shows: {seen}. "
        "Check the system that upgrades it, then re-run to resume."
    )


def hook_subject_node(node: str) -> str:
    """What is waited for: an existing node."""
    return f"node {code(node)}"


def hook_subject_new_node(node: str) -> str:
    """What is waited for: a node being provisioned under a given name."""
    return f"new node {code(node)}"


def hook_subject_new_node_matching(selector: str) -> str:
    """What is waited for: any new node matching the provision selector."""
    return f"a new node matching {code(selector)}"


def hook_subject_component(component: str, node: str) -> str:
    """What is waited for: one control-plane component instance."""
    return f"{component} on {code(node)}"


def hook_seen_nodes(states: Sequence[tuple[str, str]]) -> str:
    """While waiting for a new node by selector: each candidate and what it reports."""
    return "; ".join(f"{code(name)}: {state}" for name, state in states)


def hook_seen_no_node() -> str:
    """While waiting: the node is not registered."""
    return "no such node registered"


def hook_seen_node(kubelet: str, *, ready: bool) -> str:
    """While waiting: the node's kubelet version and readiness."""
    return f"kubelet {code(kubelet)}, {'Ready' if ready else 'not Ready'}"


def hook_seen_still_registered() -> str:
    """While waiting for a retired node: it is still there."""
    return "still registered"


def hook_seen_no_pod(pod: str) -> str:
    """While waiting for a component: its mirror pod is missing (restarting)."""
    return f"no mirror pod {code(pod)}"


def hook_seen_image(tag: str) -> str:
    """While waiting for a component: the image tag its mirror pod runs."""
    return f"image tag {code(tag)}"


def hook_seen_apiserver(version: str) -> str:
    """While waiting for kube-apiserver: what ``/version`` answers."""
    return f"the API server reports {code(version)}"


def hook_unused_on(kind: str) -> str:
    """``CHATOPS_UPGRADE_HOOK=kubesim`` against something that is not kubesim."""
    return (
        f"{code('CHATOPS_UPGRADE_HOOK')} is {code(kind)}, but this API server is not kubesim. Use "
        f"{code('command')} or {code('wait')} for a real cluster (see README, Upgrade hooks)."
    )


# --- kube-proxy after the control plane ----------------------------------------------------------------


def kube_proxy_updated(*, old: str, new: str) -> str:
    """The kube-proxy DaemonSet's image moved to the control plane's version, as kubeadm does."""
    return f"kube-proxy DaemonSet image {code(old)} → {code(new)}, as `kubeadm upgrade apply` does."


def kube_proxy_rolled_out(version: str, *, pods: int) -> str:
    """The kube-proxy rollout finished."""
    return f"kube-proxy runs {code(version)} on {pods} node{'s' if pods != 1 else ''}."


def kube_proxy_current(version: str) -> str:
    """kube-proxy is already at (or past) the target."""
    return f"kube-proxy is already at {code(version)}; its DaemonSet was left as it is."


def kube_proxy_absent() -> str:
    """No kube-proxy DaemonSet in kube-system (a CNI replacing it, or managed elsewhere)."""
    return "No kube-proxy DaemonSet in kube-system (replaced by the network plugin, or managed elsewhere): skipped."


def kube_proxy_slow(version: str, *, seconds: float, updated: int, desired: int) -> str:
    """The kube-proxy rollout did not finish in time (the control plane is upgraded regardless)."""
    return (
        f"kube-proxy at {code(version)} is on {updated} of {desired} nodes after {seconds:.0f} s; "
        "the DaemonSet keeps rolling out on its own (`upgrade plan` shows where it stands)."
    )
