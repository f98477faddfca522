"""Waiting for a change made outside the Kubernetes API to show in it, with a time limit.

After an upgrade hook command (or instead of one, when an external system does the work), the job
polls the cluster until the node or component reports the target version: a kubelet Ready at it, a
control-plane mirror pod running an image tagged with it (and ``/version`` for kube-apiserver), a
provisioned node registered Ready at it, a retired node gone. While a component restarts its mirror
pod may be missing and the API may not answer; both count as "not yet". Running out of time is a
:class:`~workers.errors.JobError` saying what was last seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import client

from shared.messages import upgrade_hooks as hook_wording
from shared.messages import upgrade_runs as run_wording
from workers import cluster
from workers.errors import JobError, NotFound
from workers.kube import list_all, read
from workers.nodes import read_node
from workers.versions import Version, image_tag, parse_version

POLL_SECONDS = 0.5
"""Between two reads of the cluster while waiting."""


def poll(check: Callable[[], str | None], *, seconds: float) -> str | None:
    """Call ``check`` until it returns ``None`` (done) or ``seconds`` pass; then the last thing it saw.

    ``check`` returns a short description of what it sees while the goal is not reached; a
    :class:`JobError` while reading (an API restarting, an object briefly gone) counts as not yet.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            seen = check()
        except JobError as error:
            seen = str(error)
        if seen is None:
            return None
        if time.monotonic() >= deadline:
            return seen
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _is_ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _kubelet_text(node: Mapping[str, Any]) -> str:
    return str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""))


def _node_at(name: str, version: Version) -> str | None:
    """``None`` when ``name`` is Ready with a kubelet at ``version`` or newer; otherwise what it reports."""
    try:
        node = read_node(name)
    except NotFound:
        return hook_wording.hook_seen_no_node()
    kubelet = parse_version(_kubelet_text(node))
    ready = _is_ready(node)
    if ready and kubelet is not None and not kubelet.is_older_than(version):
        return None
    return hook_wording.hook_seen_node(_kubelet_text(node) or "?", ready=ready)


def wait_for_kubelet(node: str, *, version: Version, seconds: float) -> None:
    """Wait until ``node`` is Ready with kubelet ``version`` (or newer)."""
    seen = poll(lambda: _node_at(node, version), seconds=seconds)
    if seen is not None:
        raise JobError(
            hook_wording.hook_wait_timeout(
                hook_wording.hook_subject_node(node), target=str(version), seconds=seconds, seen=seen
            )
        )


def wait_for_new_node(name: str, *, version: Version, seconds: float) -> None:
    """Wait until a provisioned node ``name`` has registered and is Ready at ``version`` (or newer)."""
    seen = poll(lambda: _node_at(name, version), seconds=seconds)
    if seen is not None:
        raise JobError(
            hook_wording.hook_wait_timeout(
                hook_wording.hook_subject_new_node(name), target=str(version), seconds=seconds, seen=seen
            )
        )


def node_names(*, selector: str) -> set[str]:
    """The names of the nodes matching the label ``selector`` now."""
    nodes, _ = list_all(cluster.core().list_node, missing="the node list is missing", label_selector=selector)
    return {str((n.get("metadata") or {}).get("name")) for n in nodes}


def wait_for_new_node_matching(selector: str, *, before: set[str], version: Version, seconds: float) -> str:
    """Wait until a node matching ``selector``, not among ``before``, is Ready at ``version``; its name."""
    found: list[str] = []

    def arrived() -> str | None:
        fresh = sorted(node_names(selector=selector) - before)
        seen = [(name, _node_at(name, version)) for name in fresh]
        ready = [name for name, state in seen if state is None]
        if ready:
            found[:] = ready[:1]
            return None
        waiting = [(name, state) for name, state in seen if state is not None]
        return hook_wording.hook_seen_nodes(waiting) if waiting else hook_wording.hook_seen_no_node()

    seen = poll(arrived, seconds=seconds)
    if seen is not None:
        raise JobError(
            hook_wording.hook_wait_timeout(
                hook_wording.hook_subject_new_node_matching(selector),
                target=str(version),
                seconds=seconds,
                seen=seen,
            )
        )
    return found[0]


def wait_for_node_gone(name: str, *, seconds: float) -> None:
    """Wait until the Node object ``name`` is deleted (its machine was taken out of the cluster)."""

    def gone() -> str | None:
        try:
            read_node(name)
        except NotFound:
            return None
        return hook_wording.hook_seen_still_registered()

    seen = poll(gone, seconds=seconds)
    if seen is not None:
        raise JobError(
            hook_wording.hook_wait_timeout(
                hook_wording.hook_subject_node(name), target=None, seconds=seconds, seen=seen
            )
        )


def _component_at(component: str, *, pod: str, version: Version) -> str | None:
    try:
        found = read(
            cluster.core().read_namespaced_pod,
            pod,
            "kube-system",
            missing=run_wording.component_pod_missing(component, pod),
        )
    except NotFound:
        return hook_wording.hook_seen_no_pod(pod)
    containers = (found.get("spec") or {}).get("containers") or []
    chosen = next((c for c in containers if c.get("name") == component), containers[0] if containers else {})
    tag = image_tag(str(chosen.get("image", ""))) or "?"
    running = parse_version(tag)
    if running is None or running.is_older_than(version):
        return hook_wording.hook_seen_image(tag)
    if component == "kube-apiserver":
        answer = read(
            client.VersionApi(cluster.api_client()).get_code, missing=hook_wording.hook_seen_apiserver("?")
        )
        reported = str(answer.get("gitVersion", ""))
        served = parse_version(reported)
        if served is None or served.is_older_than(version):
            return hook_wording.hook_seen_apiserver(reported or "?")
    return None


def wait_for_component(component: str, *, pod: str, node: str, version: Version, seconds: float) -> None:
    """Wait until ``component``'s mirror pod ``pod`` runs ``version`` (kube-apiserver: and ``/version`` says so)."""
    seen = poll(lambda: _component_at(component, pod=pod, version=version), seconds=seconds)
    if seen is not None:
        raise JobError(
            hook_wording.hook_wait_timeout(
                hook_wording.hook_subject_component(component, node),
                target=str(version),
                seconds=seconds,
                seen=seen,
            )
        )


__all__ = [
    "POLL_SECONDS",
    "node_names",
    "poll",
    "wait_for_component",
    "wait_for_kubelet",
    "wait_for_new_node",
    "wait_for_new_node_matching",
    "wait_for_node_gone",
]
