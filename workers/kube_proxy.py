"""kube-proxy follows the control plane: its DaemonSet's image moves to the new version, as kubeadm does.

``kubeadm upgrade apply vX.Y.Z`` ends by re-applying its addons, and kube-proxy's DaemonSet then runs
``registry.k8s.io/kube-proxy:vX.Y.Z``. ``upgrade control-plane`` does the same once every component is
at the target: a JSON patch of the ``kube-proxy`` DaemonSet in kube-system (guarded by a ``test`` of the
image it read, so a concurrent change is not overwritten), then a bounded wait for the rollout, so
``upgrade plan`` reads kube-proxy at the new version. kube-proxy never gets ahead of kube-apiserver this
way, and the skew rule (kube-proxy within the kubelets' range) was checked before the control plane
moved. A cluster without that DaemonSet (a network plugin replacing kube-proxy) is left alone, and so
is one whose kube-proxy is already there (a hook command that ran kubeadm did it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from shared.messages import upgrade_hooks as hook_wording
from workers import cluster
from workers.errors import NotFound
from workers.kube import read, write
from workers.report import Reporter
from workers.upgraders import released
from workers.versions import Version, image_tag, parse_version

NAMESPACE = "kube-system"
NAME = "kube-proxy"

ROLLOUT_SECONDS = 300.0
"""How long to follow the DaemonSet's rollout before leaving it to finish on its own (with a warning)."""

POLL_SECONDS = 0.2


def _read() -> dict[str, Any]:
    found: dict[str, Any] = read(
        cluster.apps().read_namespaced_daemon_set, NAME, NAMESPACE, missing=hook_wording.kube_proxy_absent()
    )
    return found


def _container(daemonset: Mapping[str, Any]) -> tuple[int, str]:
    """The index and image of the ``kube-proxy`` container (else the first one)."""
    containers = (((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    index = next((i for i, c in enumerate(containers) if c.get("name") == NAME), 0)
    return index, str(containers[index].get("image", "")) if containers else ""


def _rolled_out(daemonset: Mapping[str, Any]) -> tuple[bool, int, int]:
    """Whether every scheduled pod runs the current template and is available; (done, updated, desired)."""
    status = daemonset.get("status") or {}
    generation = int((daemonset.get("metadata") or {}).get("generation") or 0)
    desired = int(status.get("desiredNumberScheduled") or 0)
    updated = int(status.get("updatedNumberScheduled") or 0)
    available = int(status.get("numberAvailable") or 0)
    observed = int(status.get("observedGeneration") or 0)
    return observed >= generation and updated == desired and available == desired, updated, desired


def lags_behind(target: Version) -> bool:
    """Whether kube-proxy's DaemonSet runs a version older than ``target`` (False when there is none)."""
    try:
        daemonset = _read()
    except NotFound:
        return False
    running = parse_version(image_tag(_container(daemonset)[1]) or "")
    return running is not None and running.is_older_than(target)


def follow_control_plane(target: Version, *, reporter: Reporter, seconds: float = ROLLOUT_SECONDS) -> str:
    """Move kube-proxy's image to ``target``; what happened: ``absent``, ``current``, ``rolled-out`` or ``rolling``."""
    try:
        daemonset = _read()
    except NotFound:
        reporter.progress(hook_wording.kube_proxy_absent())
        return "absent"
    index, image = _container(daemonset)
    running = parse_version(image_tag(image) or "")
    if running is not None and not running.is_older_than(target):
        reporter.progress(hook_wording.kube_proxy_current(str(running)))
        return "current"
    last = image.rsplit("/", 1)[-1]
    repository = image.rsplit(":", 1)[0] if ":" in last else image
    new_image = f"{repository}:{released(target)}"
    path = f"/spec/template/spec/containers/{index}/image"
    patch = [
        {"op": "test", "path": path, "value": image},
        {"op": "replace", "path": path, "value": new_image},
    ]
    write(
        cluster.apps().patch_namespaced_daemon_set,
        NAME,
        NAMESPACE,
        patch,
        missing=hook_wording.kube_proxy_absent(),
    )
    reporter.progress(hook_wording.kube_proxy_updated(old=image, new=new_image))
    deadline = time.monotonic() + seconds
    while True:
        done, updated, desired = _rolled_out(_read())
        if done:
            reporter.progress(hook_wording.kube_proxy_rolled_out(released(target), pods=desired))
            return "rolled-out"
        if time.monotonic() >= deadline:
            reporter.warning(
                hook_wording.kube_proxy_slow(
                    released(target), seconds=seconds, updated=updated, desired=desired
                )
            )
            return "rolling"
        time.sleep(POLL_SECONDS)


__all__ = ["ROLLOUT_SECONDS", "follow_control_plane"]
