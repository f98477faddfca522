"""Disruption controller: PodDisruptionBudget status, from which the eviction handler decides (§4.2).

expectedPods is the number of matching pods for an integer minAvailable, otherwise the summed scale of the
pods' controllers (Deployment via its ReplicaSet, ReplicaSet, StatefulSet); pods without a known scalable
controller make the sync fail (`SyncFailed`, no disruptions allowed). currentHealthy counts Ready pods that
are neither terminating nor recorded in `disruptedPods` within the last two minutes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import earliest, tolerate_races
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
    """Recomputes every PodDisruptionBudget's status."""

    name = "disruption"

    def __init__(self, store: Store) -> None:
        self.store = store

    def sync(self, now: float) -> float | None:
        """Update each budget; returns when a disruptedPods entry expires."""
        budgets, _ = self.store.list("poddisruptionbudgets", copy=False)
        wake: float | None = None
        for pdb in budgets:
            with tolerate_races():
                wake = earliest(wake, self._sync_one(pdb, now))
        return wake

    def _sync_one(self, pdb: Obj, now: float) -> float | None:
        namespace = meta(pdb).get("namespace")
        spec = pdb.get("spec") or {}
        pods = [
            p for p in self.store.list("pods", namespace, copy=False)[0] if selects(spec.get("selector"), p)
        ]
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
