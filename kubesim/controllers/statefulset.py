"""StatefulSet controller (simple): stable pod names `<set>-0..N-1`, created in order and removed in reverse.

With the default `OrderedReady` policy each pod waits for its predecessors to be Running and Ready;
`Parallel` creates them all at once. A template change replaces pods from the highest ordinal down, one at
a time, each once the others are Ready (RollingUpdate); `OnDelete` leaves that to the user.
A pass looks at the StatefulSets written since the last one and those whose pods were written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.replicaset import available_at, is_available
from kubesim.controllers.revisions import ensure_revision
from kubesim.controllers.workqueue import Key, WorkQueue, controller_key, object_key
from kubesim.hashing import template_hash
from kubesim.podutil import (
    controller_reference,
    is_active,
    is_controlled_by,
    is_ready,
    labels_of,
    meta,
    name_of,
)

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"


def ordinal_of(set_name: str, pod_name: str) -> int | None:
    """The ordinal of `<set>-<n>`, or None for other names."""
    suffix = pod_name[len(set_name) + 1 :]
    if not pod_name.startswith(f"{set_name}-") or not suffix.isdigit():
        return None
    return int(suffix)


class StatefulSetController:
    """Creates, replaces and removes the pods of every StatefulSet in ordinal order."""

    name = "statefulset"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[Key] = WorkQueue()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """StatefulSets written and the controllers of pods written are queued."""
        if resource == "statefulsets":
            self.queue.add(object_key(obj))
        elif resource == "pods":
            owner = controller_key(obj, "StatefulSet")
            if owner is not None:
                self.queue.add(owner)

    def sync(self, now: float) -> float | None:
        """Reconcile every StatefulSet that changed (or whose pods become available)."""
        batch = self.queue.take(now)
        try:
            if batch.everything:
                sets = self.store.list("statefulsets", copy=False)[0]
            else:
                found = (
                    peek_or_none(self.store, "statefulsets", ns, name) for ns, name in sorted(batch.keys)
                )
                sets = [sts for sts in found if sts is not None]
            for sts in sets:
                if meta(sts).get("deletionTimestamp"):
                    continue
                with tolerate_races():
                    self._manage(sts)
                    self.queue.wake_at(object_key(sts), self._update_status(sts, now))
        except BaseException:
            self.queue.requeue(batch)
            raise
        return None

    def _pods(self, sts: Obj) -> dict[int, Obj]:
        namespace = meta(sts).get("namespace")
        result = {}
        for pod in self.store.owned_by(str(meta(sts).get("uid")), "pods", copy=False):
            ordinal = ordinal_of(name_of(sts), name_of(pod))
            if ordinal is not None and meta(pod).get("namespace") == namespace and is_controlled_by(pod, sts):
                result[ordinal] = pod
        return result

    def _new_pod(self, sts: Obj, ordinal: int, revision: str) -> Obj:
        template = (sts.get("spec") or {}).get("template") or {}
        template_meta = template.get("metadata") or {}
        name = f"{name_of(sts)}-{ordinal}"
        labels = {
            **(template_meta.get("labels") or {}),
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        spec = {**(template.get("spec") or {}), "hostname": name}
        if (sts.get("spec") or {}).get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        metadata: Obj = {"name": name, "labels": labels, "ownerReferences": [controller_reference(sts)]}
        if template_meta.get("annotations"):
            metadata["annotations"] = dict(template_meta["annotations"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}

    def _manage(self, sts: Obj) -> None:
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        revision = template_hash(spec.get("template") or {})
        with tolerate_races():
            ensure_revision(self.store, sts, revision)
        namespace = meta(sts).get("namespace")
        pods = self._pods(sts)
        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                pod = self.store.create("pods", self._new_pod(sts, ordinal, revision), namespace=namespace)
                self._report(sts, "Create", name_of(pod))
                if ordered:
                    return
                continue
            if ordered and not (is_active(pod) and is_ready(pod)):
                return
        surplus = sorted((o for o in pods if o >= replicas), reverse=True)
        for ordinal in surplus:
            if is_active(pods[ordinal]):
                self.store.delete("pods", namespace, name_of(pods[ordinal]))
                self._report(sts, "Delete", name_of(pods[ordinal]))
            if ordered:
                return
        strategy = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")
        if strategy == "OnDelete" or any(not is_ready(pods[o]) for o in range(replicas) if o in pods):
            return
        for ordinal in sorted((o for o in pods if o < replicas), reverse=True):
            if labels_of(pods[ordinal]).get(REVISION_LABEL) != revision and is_active(pods[ordinal]):
                self.store.delete("pods", namespace, name_of(pods[ordinal]))
                return

    def _report(self, sts: Obj, verb: str, pod: str) -> None:
        self.store.events.record(
            sts,
            reason=f"Successful{verb}",
            message=f"{verb} Pod {pod} in StatefulSet {name_of(sts)} successful",
            component="statefulset-controller",
        )

    def _update_status(self, sts: Obj, now: float) -> float | None:
        """Write the status; returns when a Ready pod next becomes available (a pass is due then, though
        it is not reported as a wake-up: the background thread's ticks pick it up)."""
        spec = sts.get("spec") or {}
        revision = template_hash(spec.get("template") or {})
        min_ready = int(spec.get("minReadySeconds") or 0)
        active = [p for p in self._pods(sts).values() if is_active(p)]
        parse = self.store.clock.parse
        due = [at for p in active if (at := available_at(p, min_ready, parse)) is not None and at > now]
        updated = sum(1 for p in active if labels_of(p).get(REVISION_LABEL) == revision)
        status = {
            "observedGeneration": meta(sts).get("generation", 1),
            "replicas": len(active),
            "readyReplicas": sum(1 for p in active if is_ready(p)),
            "availableReplicas": sum(
                1 for p in active if is_available(p, min_ready, now, self.store.clock.parse)
            ),
            "currentReplicas": updated,
            "updatedReplicas": updated,
            "currentRevision": f"{name_of(sts)}-{revision}",
            "updateRevision": f"{name_of(sts)}-{revision}",
            "collisionCount": 0,
        }

        def write(obj: Obj) -> None:
            obj["status"] = status

        self.store.mutate(
            "statefulsets", meta(sts).get("namespace"), name_of(sts), write, subresource="status"
        )
        return min(due, default=None)
