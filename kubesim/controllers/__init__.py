"""Runs the simulated control plane: every controller, in a fixed order, on each store write and tick.

The order within a pass (node lifecycle, workload controllers, scheduler, kubelet, disruption) lets most
changes propagate in a single pass; `settle` repeats passes until the store stops changing, which keeps tests
deterministic. Controllers ask for a later pass by returning a simulated wake-up time (see `base.Controller`).

Every committed store write is forwarded to each controller's `observe`, which records the keys to look at
in that controller's work queue (`workqueue.WorkQueue`); a pass then costs what changed, not the cluster's
size, so an idle cluster of 150,000 pods costs next to nothing per tick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import Controller, earliest
from kubesim.controllers.daemonset import DaemonSetController
from kubesim.controllers.deployment import DeploymentController
from kubesim.controllers.disruption import DisruptionController
from kubesim.controllers.kubelet import Kubelet
from kubesim.controllers.namespace import NamespaceController
from kubesim.controllers.namespacedefaults import NamespaceDefaultsController
from kubesim.controllers.nodelease import NodeLeaseController
from kubesim.controllers.nodelifecycle import NodeLifecycleController
from kubesim.controllers.pvcprotection import PvcProtectionController
from kubesim.controllers.replicaset import ReplicaSetController
from kubesim.controllers.scheduler import Scheduler
from kubesim.controllers.statefulset import StatefulSetController

if TYPE_CHECKING:
    from kubesim.faults import Faults
    from kubesim.store import Store

HEARTBEATS = frozenset({NodeLeaseController.name})
"""Controllers that write on a period forever (node leases): a settled cluster may still beat."""
TICK_SECONDS = 0.02
"""Real seconds between passes of the background thread when nothing is written."""

_log = logging.getLogger(__name__)


class ControllerManager:
    """Owns the controllers and drives them from a background thread or, in tests, synchronously."""

    def __init__(self, store: Store, *, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.controllers: list[Controller] = [
            NodeLifecycleController(store),
            NamespaceController(store),
            NamespaceDefaultsController(store),
            DeploymentController(store),
            ReplicaSetController(store),
            StatefulSetController(store),
            DaemonSetController(store),
            Scheduler(store, faults=faults),
            Kubelet(store, faults=faults),
            NodeLeaseController(store, faults=faults),
            DisruptionController(store),
            PvcProtectionController(store),
        ]
        self._pass_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unobserve = store.subscribe(self._observe)

    def _observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        for controller in self.controllers:
            controller.observe(event, resource, obj)

    def close(self) -> None:
        """Stop the background thread and stop observing the store (the controllers are done for)."""
        self.stop()
        self._unobserve()

    def reconcile_once(self) -> float | None:
        """Run one pass of every controller; returns the earliest simulated time one asked to run again."""
        return self._pass()[0]

    def _pass(self) -> tuple[float | None, float | None, bool]:
        """One pass: (earliest wake-up, earliest wake-up but for heartbeats, whether anything but a
        heartbeat wrote)."""
        with self._pass_lock:
            wake: float | None = None
            work: float | None = None
            changed = False
            for controller in self.controllers:
                before = self.store.resource_version
                due = controller.sync(self.store.clock.now())
                wake = earliest(wake, due)
                if controller.name not in HEARTBEATS:
                    work = earliest(work, due)
                    changed = changed or self.store.resource_version != before
            return wake, work, changed

    def settle(self, *, timeout: float = 10.0) -> None:
        """Run passes until nothing changes and no controller is due within the remaining real `timeout`
        (heartbeats aside: they beat forever).

        Timers beyond the window (say a 600 s progress deadline at speed 1) are left pending. Raises
        TimeoutError when the controllers keep writing for the whole window (a livelock).
        """
        clock = self.store.clock
        deadline = time.monotonic() + timeout
        while True:
            _, wake, changed = self._pass()
            if changed:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"controllers still changing the store after {timeout} s")
                continue
            if wake is None:
                return
            wait = max(0.0, wake - clock.now())
            if wait / clock.speed > deadline - time.monotonic():
                return
            clock.sleep(wait + 0.001)

    def start(self) -> None:
        """Start the background thread: a pass every tick and right after any store write."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._unsubscribe = self.store.subscribe(self._on_write)
        self._thread = threading.Thread(target=self._run, name="kubesim-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for the current pass to finish."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _on_write(self, _event: str, _resource: str, _obj: dict[str, object]) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(TICK_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.reconcile_once()
            except Exception:  # a controller bug must not stop the simulated cluster
                _log.exception("controller pass failed")
