"""The pods/eviction subresource: a graceful delete that PodDisruptionBudgets may refuse (kubernetes.md §4.3).

Checks run in the real handler's order: name mismatch (400), pod lookup (404), pods that cannot disrupt
anything (Pending, finished or already terminating) are deleted without a budget check, more than one
matching budget is a 500, unready pods may go when the budget is already satisfied, and otherwise the
budget's disruptionsAllowed is checked and decremented atomically under the store lock, recording the pod in
`disruptedPods`, so two concurrent evictions can never both spend the last allowed disruption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.admission import namespace_lifecycle
from kubesim.controllers.disruption import disruption_condition, set_metav1_condition
from kubesim.errors import ApiError, bad_request, forbidden, too_many_requests
from kubesim.podutil import is_ready, is_terminating, meta, phase_of, selects, set_condition
from kubesim.resources import RESOURCES

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

MAX_DISRUPTED_PODS = 2000
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_BUDGETS = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)


def success() -> Obj:
    """The Status body of an accepted eviction (served with HTTP 201)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def evict(store: Store, namespace: str, name: str, body: Obj, *, dry_run: bool = False) -> Obj:
    """Evict a pod, honouring its disruption budget; returns the 201 Status body or raises ApiError."""
    body_name = (body.get("metadata") or {}).get("name")
    if body_name is not None and body_name != name:
        raise bad_request("name in URL does not match name in Eviction object")
    options: Obj = dict(body.get("deleteOptions") or {})
    dry_run = dry_run or bool(options.get("dryRun"))
    namespace_lifecycle(RESOURCES["pods"], name, namespace, store.find("namespaces", None, namespace))
    pod = store.get("pods", namespace, name)
    if _can_ignore_budget(pod):
        if not dry_run:
            _delete(store, pod, options)
        return success()
    budgets = [
        pdb
        for pdb in store.list("poddisruptionbudgets", namespace, copy=False)[0]
        if selects((pdb.get("spec") or {}).get("selector"), pod)
    ]
    if len(budgets) > 1:
        raise ApiError(500, "", MULTIPLE_BUDGETS)
    if budgets:
        pdb = budgets[0]
        if not _unhealthy_may_go(pod, pdb):
            _check_and_decrement(store, pdb, pod_name=name, dry_run=dry_run)
    if not dry_run:
        _mark_disruption_target(store, pod)
        _delete(store, pod, options)
    return success()


def _can_ignore_budget(pod: Obj) -> bool:
    """Evicting these causes no new disruption (`canIgnorePDB`)."""
    return phase_of(pod) in ("Succeeded", "Failed", "Pending") or is_terminating(pod)


def _unhealthy_may_go(pod: Obj, pdb: Obj) -> bool:
    """An unready pod may be evicted when the policy says AlwaysAllow or the budget is already met."""
    if is_ready(pod):
        return False
    if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    status = pdb.get("status") or {}
    desired = int(status.get("desiredHealthy") or 0)
    return int(status.get("currentHealthy") or 0) >= desired > 0


def _check_and_decrement(store: Store, pdb: Obj, *, pod_name: str, dry_run: bool) -> None:
    """Spend one allowed disruption of the budget, or raise the 429/403 the API server answers."""
    stamp = store.clock.timestamp()
    pdb_name = str(meta(pdb)["name"])

    def spend(obj: Obj) -> None:
        status = obj.setdefault("status", {})
        if int(status.get("observedGeneration") or 0) < int(meta(obj).get("generation", 1)):
            cause = {
                "reason": "DisruptionBudget",
                "message": f"The disruption budget {pdb_name} is still being processed by the server.",
            }
            raise too_many_requests(VIOLATION, [cause], retry_after=10)
        allowed = int(status.get("disruptionsAllowed") or 0)
        disrupted: Obj = status.get("disruptedPods") or {}
        if allowed < 0:
            raise _forbidden(pdb_name, "pdb disruptions allowed is negative")
        if len(disrupted) > MAX_DISRUPTED_PODS:
            raise _forbidden(
                pdb_name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller"
            )
        if allowed == 0:
            desired, current = int(status.get("desiredHealthy") or 0), int(status.get("currentHealthy") or 0)
            message = (
                f"The disruption budget {pdb_name} needs {desired} healthy pods and has {current} currently"
            )
            raise too_many_requests(
                VIOLATION, [{"reason": "DisruptionBudget", "message": message}], retry_after=0
            )
        status["disruptionsAllowed"] = allowed - 1
        if allowed - 1 == 0:
            condition = disruption_condition(0, generation=int(meta(obj).get("generation", 1)))
            set_metav1_condition(status, condition, stamp=stamp)
        status["disruptedPods"] = {**disrupted, pod_name: stamp}

    if dry_run:
        spend(store.get("poddisruptionbudgets", meta(pdb).get("namespace"), pdb_name))
        return
    store.mutate("poddisruptionbudgets", meta(pdb).get("namespace"), pdb_name, spend, subresource="status")


def _forbidden(pdb_name: str, why: str) -> ApiError:
    return forbidden(
        f'poddisruptionbudgets.policy "{pdb_name}" is forbidden: {why}',
        details={"name": pdb_name, "group": "policy", "kind": "poddisruptionbudgets"},
    )


def _mark_disruption_target(store: Store, pod: Obj) -> None:
    """Add the DisruptionTarget condition the eviction API sets before deleting."""
    stamp = store.clock.timestamp()

    def mark(obj: Obj) -> None:
        condition = {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting",
            "lastProbeTime": None,
        }
        set_condition(obj.setdefault("status", {}), condition, now=stamp)

    store.mutate("pods", meta(pod).get("namespace"), str(meta(pod)["name"]), mark, subresource="status")


def _delete(store: Store, pod: Obj, options: Obj) -> None:
    grace = options.get("gracePeriodSeconds")
    store.delete(
        "pods",
        meta(pod).get("namespace"),
        str(meta(pod)["name"]),
        grace_period_seconds=None if grace is None else int(grace),
        preconditions=options.get("preconditions"),
        propagation_policy=options.get("propagationPolicy"),
    )
