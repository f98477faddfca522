"""PVC protection: the API server gives every new PersistentVolumeClaim the ``kubernetes.io/pvc-protection``
finalizer (kubesim.kind_defaults), and this controller removes it once the claim is being deleted and
no pod of its namespace that has not finished mounts it, so that a claim in use outlives its deletion
until its pods go, as on a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Key, WorkQueue, object_key
from kubesim.kind_defaults import PVC_PROTECTION

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]


def claims_of(pod: Obj) -> set[str]:
    """The claims a pod's volumes name."""
    volumes = (pod.get("spec") or {}).get("volumes") or []
    return {
        str(v["persistentVolumeClaim"].get("claimName"))
        for v in volumes
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)
    }


class PvcProtectionController:
    """Releases deleted claims no running pod uses."""

    name = "pvcprotection"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.claims: WorkQueue[Key] = WorkQueue()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """A claim marked for deletion, or a pod that used claims and went (or finished)."""
        if resource == "persistentvolumeclaims" and obj["metadata"].get("deletionTimestamp"):
            self.claims.add(object_key(obj))
        elif resource == "pods" and (event == "DELETED" or obj["metadata"].get("deletionTimestamp")):
            namespace = str(obj["metadata"].get("namespace") or "")
            self.claims.add_all([(namespace, claim) for claim in claims_of(obj)])

    def sync(self, now: float) -> float | None:
        """Drop the finalizer of each deleted claim whose pods are gone."""
        batch = self.claims.take(now)
        if batch.everything:
            keys = {object_key(c) for c in self.store.list("persistentvolumeclaims", copy=False)[0]}
        else:
            keys = set(batch.keys)
        for namespace, name in sorted(keys):
            claim = peek_or_none(self.store, "persistentvolumeclaims", namespace, name)
            if claim is None or not claim["metadata"].get("deletionTimestamp"):
                continue
            if PVC_PROTECTION not in (claim["metadata"].get("finalizers") or []) or self._in_use(
                namespace, name
            ):
                continue
            with tolerate_races():
                self.store.mutate("persistentvolumeclaims", namespace, name, _release)
        return None

    def _in_use(self, namespace: str, claim: str) -> bool:
        for pod in self.store.list("pods", namespace, copy=False)[0]:
            finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
            if claim in claims_of(pod) and not finished:
                return True
        return False


def _release(claim: Obj) -> None:
    finalizers = [f for f in claim["metadata"].get("finalizers") or [] if f != PVC_PROTECTION]
    if finalizers:
        claim["metadata"]["finalizers"] = finalizers
    else:
        claim["metadata"].pop("finalizers", None)
