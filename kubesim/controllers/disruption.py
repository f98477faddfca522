"""Disruption controller: PodDisruptionBudget status, from which the eviction handler decides (§4.2).

expectedPods is the number of matching pods for an integer minAvailable, otherwise the summed scale of the
pods' controllers (Deployment via its ReplicaSet, ReplicaSet, StatefulSet); pods without a known scalable
controller make the sync fail (`SyncFailed`, no disruptions allowed). currentHealthy counts Ready pods that
are neither terminating nor recorded in `disruptedPods` within the last two minutes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import earliest, peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, object_key
from kubesim.podutil import controller_of, is_ready, is_terminating, meta, name_of, selects
from kubesim.quantities import scaled_value

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

DELETION_TIMEOUT = 120.0
"""Seconds a pod may stay in disruptedPods before the controller stops expecting its deletion."""


class _SyncFailed(Exception):
    """The expected scale of a budget cannot be computed."""


def disruption_condition(allowed: int, *, generation: int) -> Obj:
    """The DisruptionAllowed condition for a number of allowed disruptions (without transition time)."""
    if allowed > 0:
        return {
            "type": "DisruptionAllowed",
            "status": "True",
            "reason": "SufficientPods",
            "message": "",
            "observedGeneration": generation,
        }
    return {
        "type": "DisruptionAllowed",
        "status": "False",
        "reason": "InsufficientPods",
        "message": "",
        "observedGeneration": generation,
    }


def set_metav1_condition(status: Obj, condition: Obj, *, stamp: str) -> None:
    """`meta.SetStatusCondition`: lastTransitionTime changes only when the status does."""
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != condition["type"]]
    existing = next((c for c in status.get("conditions") or [] if c.get("type") == condition["type"]), None)
    moved = existing is None or existing.get("status") != condition["status"]
    transition = stamp if moved else existing.get("lastTransitionTime", stamp)  # type: ignore[union-attr]
    status["conditions"] = [*conditions, {**condition, "lastTransitionTime": transition}]


class DisruptionController:
    """Recomputes the status of every PodDisruptionBudget whose inputs changed.

    Each budget's matching pods are kept in an index, updated from the pods written since the last pass
    (a pod counts for a budget it matches now or matched before); a budget is recomputed when it is
    written, when one of its pods is, when a workload controller in its namespace is (the expected scale),
    or when a disruptedPods entry expires.
    """

    name = "disruption"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[Key] = WorkQueue()
        self.pods: WorkQueue[Key] = WorkQueue()
        self.namespaces: WorkQueue[str] = WorkQueue()
        self._members: dict[Key, set[str]] = {}
        self._selectors: dict[Key, str] = {}

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """Queue budgets, pods and the namespaces of workload controllers written."""
        if resource == "poddisruptionbudgets":
            self.queue.add(object_key(obj))
        elif resource == "pods":
            self.pods.add(object_key(obj))
        elif resource in ("replicasets", "deployments", "statefulsets"):
            self.namespaces.add(object_key(obj)[0])

    def sync(self, now: float) -> float | None:
        """Update each changed budget; returns when a disruptedPods entry expires."""
        batch = self.queue.take(now)
        pod_batch = self.pods.take(now)
        ns_batch = self.namespaces.take(now)
        try:
            self._sync(batch, pod_batch, ns_batch, now)
        except BaseException:
            self.queue.requeue(batch)
            self.pods.requeue(pod_batch)
            self.namespaces.requeue(ns_batch)
            raise
        return self.queue.next_wake()

    def _sync(self, batch: Batch[Key], pod_batch: Batch[Key], ns_batch: Batch[str], now: float) -> None:
        if batch.everything or pod_batch.everything:
            self._members.clear()
            self._selectors.clear()
            budgets = self.store.list("poddisruptionbudgets", copy=False)[0]
        else:
            keys = set(batch.keys) | self._pods_changed(pod_batch.keys)
            for namespace in ns_batch.keys:
                keys.update(
                    object_key(b) for b in self.store.list("poddisruptionbudgets", namespace, copy=False)[0]
                )
            found = (peek_or_none(self.store, "poddisruptionbudgets", ns, name) for ns, name in sorted(keys))
            budgets = [pdb for pdb in found if pdb is not None]
            for key in keys:
                if peek_or_none(self.store, "poddisruptionbudgets", *key) is None:
                    self._members.pop(key, None)
                    self._selectors.pop(key, None)
        for pdb in budgets:
            with tolerate_races():
                self.queue.wake_at(object_key(pdb), self._sync_one(pdb, now))

    def _pods_changed(self, keys: frozenset[Key]) -> set[Key]:
        """Update the membership index for pods written; returns the budgets they concern."""
        concerned: set[Key] = set()
        budgets_by_namespace: dict[str, list[Obj]] = {}
        for namespace, name in keys:
            if namespace not in budgets_by_namespace:
                budgets_by_namespace[namespace] = self.store.list(
                    "poddisruptionbudgets", namespace, copy=False
                )[0]
            pod = peek_or_none(self.store, "pods", namespace, name)
            for pdb in budgets_by_namespace[namespace]:
                key = object_key(pdb)
                members = self._members.get(key)
                if members is None:
                    concerned.add(key)
                    continue
                matches = pod is not None and selects((pdb.get("spec") or {}).get("selector"), pod)
                if matches or name in members:
                    concerned.add(key)
                    if matches:
                        members.add(name)
                    else:
                        members.discard(name)
        return concerned

    def _matching_pods(self, pdb: Obj) -> list[Obj]:
        """The pods the budget selects, sorted by name, from the index (rebuilt when the selector changed)."""
        key = object_key(pdb)
        namespace = meta(pdb).get("namespace")
        selector = (pdb.get("spec") or {}).get("selector")
        members = self._members.get(key)
        if members is None or self._selectors.get(key) != repr(selector):
            pods = self.store.list("pods", namespace, copy=False)[0]
            members = self._members[key] = {name_of(p) for p in pods if selects(selector, p)}
            self._selectors[key] = repr(selector)
        found = (peek_or_none(self.store, "pods", namespace, name) for name in sorted(members))
        return [pod for pod in found if pod is not None]

    def _sync_one(self, pdb: Obj, now: float) -> float | None:
        namespace = meta(pdb).get("namespace")
        spec = pdb.get("spec") or {}
        pods = self._matching_pods(pdb)
        parse = self.store.clock.parse
        stamp = self.store.clock.timestamp(now)
        generation = int(meta(pdb).get("generation", 1))
        disrupted: dict[str, str] = {}
        wake: float | None = None
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        for pod in pods:
            when = recorded.get(name_of(pod))
            if when is None or is_terminating(pod):
                continue
            expires = parse(when) + DELETION_TIMEOUT
            if expires > now:
                disrupted[name_of(pod)] = when
                wake = earliest(wake, expires)
        healthy = sum(
            1 for p in pods if is_ready(p) and not is_terminating(p) and name_of(p) not in disrupted
        )
        try:
            expected, desired = self._expectations(spec, pods)
        except _SyncFailed as failure:
            message = str(failure)

            def fail(obj: Obj) -> None:
                status = obj.setdefault("status", {})
                status["disruptionsAllowed"] = 0
                status["observedGeneration"] = generation
                condition = {
                    "type": "DisruptionAllowed",
                    "status": "False",
                    "reason": "SyncFailed",
                    "message": message,
                    "observedGeneration": generation,
                }
                set_metav1_condition(status, condition, stamp=stamp)

            self.store.mutate("poddisruptionbudgets", namespace, name_of(pdb), fail, subresource="status")
            return wake
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0

        def write(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status.update(
                {
                    "currentHealthy": healthy,
                    "desiredHealthy": desired,
                    "expectedPods": expected,
                    "disruptionsAllowed": allowed,
                    "disruptedPods": disrupted,
                    "observedGeneration": generation,
                }
            )
            if not disrupted:
                status.pop("disruptedPods")
            set_metav1_condition(status, disruption_condition(allowed, generation=generation), stamp=stamp)

        self.store.mutate("poddisruptionbudgets", namespace, name_of(pdb), write, subresource="status")
        return wake

    def _expectations(self, spec: Obj, pods: list[Obj]) -> tuple[int, int]:
        """(expectedPods, desiredHealthy) per the budget's minAvailable or maxUnavailable."""
        min_available = spec.get("minAvailable")
        max_unavailable = spec.get("maxUnavailable")
        if max_unavailable is not None:
            expected = self._expected_scale(pods)
            unavailable = scaled_value(max_unavailable, expected, round_up=True)
            return expected, max(0, expected - unavailable)
        if isinstance(min_available, str) and min_available.strip().endswith("%"):
            expected = self._expected_scale(pods)
            percent = int(min_available.strip()[:-1])
            return expected, math.ceil(percent * expected / 100)
        if min_available is not None:
            return len(pods), int(min_available)
        return len(pods), 0

    def _expected_scale(self, pods: list[Obj]) -> int:
        """Σ spec.replicas of the controllers of the pods (`getExpectedScale`)."""
        scales: dict[str, int] = {}
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                raise _SyncFailed(f'found no controller ref for pod "{name_of(pod)}"')
            if ref["uid"] in scales:
                continue
            found = self._scale_of(ref, str(meta(pod).get("namespace")))
            if found is None:
                raise _SyncFailed(f'found no controllers for pod "{name_of(pod)}"')
            scales[found[0]] = found[1]
        return sum(scales.values())

    def _scale_of(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        kind, name = ref.get("kind"), str(ref.get("name"))
        if kind == "ReplicaSet":
            rs = self.store.find("replicasets", namespace, name)
            if rs is None or meta(rs).get("uid") != ref.get("uid"):
                return None
            owner = controller_of(rs)
            if owner is not None and owner.get("kind") == "Deployment":
                deployment = self.store.find("deployments", namespace, str(owner.get("name")))
                if deployment is not None and meta(deployment).get("uid") == owner.get("uid"):
                    return str(owner["uid"]), int((deployment.get("spec") or {}).get("replicas", 1))
            return str(ref["uid"]), int((rs.get("spec") or {}).get("replicas", 1))
        if kind == "StatefulSet":
            sts = self.store.find("statefulsets", namespace, name)
            if sts is not None and meta(sts).get("uid") == ref.get("uid"):
                return str(ref["uid"]), int((sts.get("spec") or {}).get("replicas", 1))
        return None
