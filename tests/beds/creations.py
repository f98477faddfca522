"""The shop pods the API server creates during a drill on a test bed, counted from a watch, and the
replicas Ready off the drained node. The watch survives the API server going away: it lists again
(adding any pod it had not seen) and watches on from there."""

from __future__ import annotations

import threading
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError, ProtocolError

from benchmarks.drain import BUSY_NODE, DEPLOYMENT
from tests.beds.view import as_json
from tests.support.beds import Bed

SELECTOR = f"app={DEPLOYMENT}"


class Creations:
    """The names of the shop pods the API server created, from a watch started before the drill."""

    def __init__(self, bed: Bed) -> None:
        self.names: list[str] = []
        self._bed = bed
        listed = bed.core.list_namespaced_pod("default", label_selector=SELECTOR)
        self.before = {pod.metadata.name for pod in listed.items if pod.metadata is not None}
        self._seen = set(self.before)
        self._watch = watch.Watch()
        self._stopped = threading.Event()
        version = listed.metadata.resource_version if listed.metadata else None
        self._thread = threading.Thread(target=self._follow, args=(version,), daemon=True)
        self._thread.start()

    def _add(self, name: str) -> None:
        """Count a pod once, however many times a watch or a list shows it (replacements have new names)."""
        if name not in self._seen:
            self._seen.add(name)
            self.names.append(name)

    def _relist(self) -> str | None:
        """Every shop pod now (those created while no watch ran are added); the version to watch from."""
        listed = self._bed.core.list_namespaced_pod("default", label_selector=SELECTOR)
        for pod in listed.items:
            if pod.metadata is not None and pod.metadata.name:
                self._add(pod.metadata.name)
        return listed.metadata.resource_version if listed.metadata else None

    def _follow(self, version: str | None) -> None:
        # A watch the server ends (its timeout) resumes from the last version seen; one that fails (the
        # server restarting, or a version too old for its new watch cache) lists again first.
        while not self._stopped.is_set():
            try:
                if version is None:
                    version = self._relist()
                stream = self._watch.stream(
                    self._bed.core.list_namespaced_pod,
                    "default",
                    label_selector=SELECTOR,
                    resource_version=version,
                    timeout_seconds=3,
                )
                for event in stream:
                    obj: Any = event["object"]
                    version = obj.metadata.resource_version
                    if event["type"] == "ADDED":
                        self._add(obj.metadata.name)
            except (ProtocolError, HTTPError, ApiException, OSError, ValueError):
                version = None
                self._stopped.wait(0.2)

    def close(self) -> None:
        """Stop watching (one last list first, so nothing created since the last event is missed)."""
        self._stopped.set()
        self._watch.stop()
        self._thread.join(timeout=10)
        self._relist()


def ready_elsewhere(bed: Bed) -> list[str]:
    """The shop pods Ready, not terminating, on another node than the drained one."""
    listed = as_json(bed, bed.core.list_namespaced_pod("default", label_selector=SELECTOR))
    names = []
    for pod in listed.get("items") or []:
        conditions = (pod.get("status") or {}).get("conditions") or []
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        if ready and pod["spec"].get("nodeName") != BUSY_NODE and "deletionTimestamp" not in pod["metadata"]:
            names.append(pod["metadata"]["name"])
    return names
