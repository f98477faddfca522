"""What an upgrade reads and waits for: the API server's version, a node's readiness and kubelet, and
the steps each node upgrade strategy walks."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import client

from shared.messages import upgrades as wording
from workers import cluster
from workers.errors import JobError
from workers.kube import call_json
from workers.versions import Version, parse_version

CHECKPOINT = "chatops.io/upgrade"
"""The node annotation holding a node's upgrade checkpoint (JSON)."""

UPGRADED_BY = "upgrade nodes"
"""The ``by`` field of the maintenance records this module writes (so a re-run knows them as its own)."""

CONTROL_PLANE_ORDER = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
IN_PLACE_STEPS = ("drain", "upgrade", "ready", "uncordon")
ALL_AT_ONCE_STEPS = ("cordon", "upgrade", "ready", "uncordon")
SURGE_STEPS = ("provision", "drain", "retire")

READY_TIMEOUT_SECONDS = 600.0
"""How long a node (or a component) may take to come back at the new version."""

RETURN_WAIT_SECONDS = 30.0
"""How long to wait, after uncordoning, for pods that had nowhere to go to find a node again."""

POLL_SECONDS = 0.2


# --- reading ------------------------------------------------------------------------------------------


def apiserver_version() -> Version:
    info = call_json(client.VersionApi(cluster.api_client()).get_code)
    version = parse_version(str(info.get("gitVersion", "")))
    if version is None:
        raise JobError(wording.version_unreadable(str(info.get("gitVersion", ""))))
    return version


def is_ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def kubelet_version(node: Mapping[str, Any]) -> Version | None:
    return parse_version(str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")))


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name"))


def wait_until(condition: Callable[[], bool], *, seconds: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True
