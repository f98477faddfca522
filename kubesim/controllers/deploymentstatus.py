"""The status of a Deployment as `syncRolloutStatus` and its helpers compute it: counts, the Available and
Progressing conditions (with their real reasons, ProgressDeadlineExceeded included) and the paused state.

`StatusSync` is also the state one reconcile works from (the Deployment, its surge and unavailability
budget, its deadline); `kubesim.controllers.deploymentreplicasets` and `kubesim.controllers.deployment`
build the ReplicaSet handling and the rollouts on it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kubesim.podutil import meta, name_of
from kubesim.quantities import scaled_value

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

NO_DEADLINE = 2**31 - 1


def replicas_of(obj: Obj) -> int:
    """`spec.replicas` (1 when unset)."""
    return int((obj.get("spec") or {}).get("replicas", 1))


def status_int(obj: Obj, key: str) -> int:
    """A status count (0 when unset)."""
    return int((obj.get("status") or {}).get(key) or 0)


class StatusSync:
    """One reconcile of one Deployment: its state, and the status it writes."""

    def __init__(self, store: Store, deployment: Obj, now: float) -> None:
        self.store = store
        self.d = deployment
        self.now = now
        self.stamp = store.clock.timestamp(now)
        self.namespace = str(meta(deployment).get("namespace"))
        self.name = name_of(deployment)
        self.spec: Obj = deployment.get("spec") or {}
        self.replicas = replicas_of(deployment)
        strategy = self.spec.get("strategy") or {}
        self.rolling = strategy.get("type", "RollingUpdate") != "Recreate"
        rolling = strategy.get("rollingUpdate") or {}
        surge = scaled_value(rolling.get("maxSurge"), self.replicas, round_up=True, default="25%")
        unavailable = scaled_value(
            rolling.get("maxUnavailable"), self.replicas, round_up=False, default="25%"
        )
        if surge == 0 and unavailable == 0:
            unavailable = 1
        self.max_surge = surge if self.rolling else 0
        self.max_unavailable = min(unavailable, self.replicas) if self.rolling and self.replicas else 0
        self.deadline = int(self.spec.get("progressDeadlineSeconds", 600))

    # ---- status --------------------------------------------------------------------------------------

    def _calculate_status(self, all_rss: list[Obj], new: Obj | None) -> Obj:
        available = sum(status_int(rs, "availableReplicas") for rs in all_rss)
        total = sum(replicas_of(rs) for rs in all_rss)
        status: Obj = {
            "observedGeneration": meta(self.d).get("generation", 1),
            "replicas": sum(status_int(rs, "replicas") for rs in all_rss),
            "updatedReplicas": status_int(new, "replicas") if new else 0,
            "readyReplicas": sum(status_int(rs, "readyReplicas") for rs in all_rss),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
            "terminatingReplicas": sum(status_int(rs, "terminatingReplicas") for rs in all_rss),
            "conditions": copy.deepcopy((self.d.get("status") or {}).get("conditions") or []),
        }
        collisions = (self.d.get("status") or {}).get("collisionCount")
        if collisions is not None:
            status["collisionCount"] = collisions
        if available >= self.replicas - self.max_unavailable:
            condition = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            condition = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        self._set_condition(status, *condition, kind="Available")
        return status

    def _complete(self, status: Obj) -> bool:
        """`DeploymentComplete`."""
        return bool(
            status["updatedReplicas"] == self.replicas
            and status["replicas"] == self.replicas
            and status["availableReplicas"] == self.replicas
            and int(status["observedGeneration"]) >= int(meta(self.d).get("generation", 1))
        )

    def _progressing(self, status: Obj) -> bool:
        """`DeploymentProgressing`: more updated/ready/available replicas, or fewer old ones."""
        old = self.d.get("status") or {}
        old_old = int(old.get("replicas") or 0) - int(old.get("updatedReplicas") or 0)
        new_old = status["replicas"] - status["updatedReplicas"]
        return bool(
            status["updatedReplicas"] > int(old.get("updatedReplicas") or 0)
            or new_old < old_old
            or status["readyReplicas"] > int(old.get("readyReplicas") or 0)
            or status["availableReplicas"] > int(old.get("availableReplicas") or 0)
        )

    def _sync_rollout_status(self, all_rss: list[Obj], new: Obj | None) -> float | None:
        """`syncRolloutStatus`: status plus the Progressing condition; returns when the deadline falls."""
        status = self._calculate_status(all_rss, new)
        if self.deadline == NO_DEADLINE:
            status["conditions"] = [c for c in status["conditions"] if c.get("type") != "Progressing"]
        current = _find(status, "Progressing")
        complete_before = (
            status["replicas"] == status["updatedReplicas"]
            and current is not None
            and current.get("reason") == "NewReplicaSetAvailable"
        )
        wake: float | None = None
        if self.deadline != NO_DEADLINE and not complete_before:
            rs_name = name_of(new) if new else ""
            if self._complete(status):
                message = f'ReplicaSet "{rs_name}" has successfully progressed.'
                self._set_condition(status, "True", "NewReplicaSetAvailable", message)
            elif self._progressing(status):
                message = (
                    f'ReplicaSet "{rs_name}" is progressing.'
                    if new
                    else f'Deployment "{self.name}" is progressing.'
                )
                transition = (
                    current.get("lastTransitionTime") if current and current.get("status") == "True" else None
                )
                status["conditions"] = [c for c in status["conditions"] if c.get("type") != "Progressing"]
                self._set_condition(status, "True", "ReplicaSetUpdated", message)
                if transition:
                    _find(status, "Progressing")["lastTransitionTime"] = transition  # type: ignore[index]
            elif self._timed_out(status):
                message = f'ReplicaSet "{rs_name}" has timed out progressing.'
                self._set_condition(status, "False", "ProgressDeadlineExceeded", message)
            condition = _find(status, "Progressing")
            if condition and condition.get("reason") not in (
                "NewReplicaSetAvailable",
                "ProgressDeadlineExceeded",
            ):
                wake = self.store.clock.parse(str(condition["lastUpdateTime"])) + self.deadline + 1
        self._update_status(lambda s: replace_status(s, status))
        return wake

    def _timed_out(self, status: Obj) -> bool:
        condition = _find(status, "Progressing")
        if condition is None or condition.get("reason") == "NewReplicaSetAvailable":
            return False
        if condition.get("reason") == "ProgressDeadlineExceeded":
            return True
        since = self.store.clock.parse(str(condition.get("lastUpdateTime")))
        return since + self.deadline < self.now

    def _check_paused_conditions(self) -> None:
        if self.deadline == NO_DEADLINE:
            return
        condition = self._condition("Progressing")
        if condition is not None and condition.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_shown = condition is not None and condition.get("reason") == "DeploymentPaused"
        if self.spec.get("paused") and not paused_shown:
            self._update_status(
                lambda s: self._set_condition(s, "Unknown", "DeploymentPaused", "Deployment is paused")
            )
        elif not self.spec.get("paused") and paused_shown:
            self._update_status(
                lambda s: self._set_condition(s, "Unknown", "DeploymentResumed", "Deployment is resumed")
            )

    def _condition(self, kind: str) -> Obj | None:
        return _find(self.d.get("status") or {}, kind)

    def _set_condition(
        self, status: Obj, value: str, reason: str, message: str, *, kind: str = "Progressing"
    ) -> None:
        """`SetDeploymentCondition`: no-op for the same status and reason; keeps the transition time."""
        conditions: list[Obj] = status.setdefault("conditions", [])
        current = _find(status, kind)
        if current is not None and current.get("status") == value and current.get("reason") == reason:
            return
        condition = {
            "type": kind,
            "status": value,
            "lastUpdateTime": self.stamp,
            "lastTransitionTime": self.stamp,
            "reason": reason,
            "message": message,
        }
        if current is not None and current.get("status") == value:
            condition["lastTransitionTime"] = current.get("lastTransitionTime", self.stamp)
        status["conditions"] = [*[c for c in conditions if c.get("type") != kind], condition]

    def _update_status(self, fn: Any) -> None:
        def write(obj: Obj) -> None:
            fn(obj.setdefault("status", {}))

        self.d = self.store.mutate("deployments", self.namespace, self.name, write, subresource="status")


def _find(status: Obj, kind: str) -> Obj | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            result: Obj = condition
            return result
    return None


OMITTED_WHEN_ZERO = (
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
)
"""DeploymentStatus counts the API server leaves out at zero (``omitempty``)."""


def replace_status(target: Obj, status: Obj) -> None:
    """Overwrite a stored status with a computed one, leaving out the counts that are zero."""
    target.clear()
    target.update({k: v for k, v in copy.deepcopy(status).items() if not (k in OMITTED_WHEN_ZERO and v == 0)})
