"""Sentences of the upgrade hooks: the commands and waits a real cluster's upgrade runs, their settings,
failures and timeouts."""

from __future__ import annotations

from collections.abc import Sequence

from shared.text_safety import code, escape

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
