"""ReplicaSet controller: keeps `spec.replicas` active pods from the template, and reports their state.

Scaling down removes the least valuable pods first, ranked as `controller.ActivePods` does: unscheduled
before scheduled, Pending before Running, not Ready before Ready, Ready for less time first, then the newest.
Orphan pods matching the selector are adopted, as the real controller does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import earliest, peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, controller_key, has_controller, object_key
from kubesim.podutil import (
    controller_of,
    controller_reference,
    creation_key,
    is_active,
    is_controlled_by,
    is_ready,
    is_terminating,
    labels_of,
    meta,
    name_of,
    phase_of,
    ready_since,
    selects,
)

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def pods_from_template(owner: Obj, template: Obj) -> Obj:
    """A pod for a controller: template labels/annotations/spec, `generateName: <owner>-`, controller ref."""
    template_meta = template.get("metadata") or {}
    metadata: Obj = {
        "generateName": f"{name_of(owner)}-",
        "namespace": meta(owner).get("namespace"),
        "labels": dict(template_meta.get("labels") or {}),
        "ownerReferences": [controller_reference(owner)],
    }
    if template_meta.get("annotations"):
        metadata["annotations"] = dict(template_meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": dict(template.get("spec") or {})}


def deletion_rank(pod: Obj) -> tuple[int, int, int, str, str, str]:
    """Sort key putting the pods to delete first (`controller.ActivePods` order, newest before oldest)."""
    created, name = creation_key(pod)
    since = ready_since(pod) or ""
    return (
        1 if (pod.get("spec") or {}).get("nodeName") else 0,
        _PHASE_RANK.get(phase_of(pod), 0),
        1 if is_ready(pod) else 0,
        _invert(since),
        _invert(created),
        _invert(name),
    )


def _invert(text: str) -> str:
    """A key that sorts strings in reverse (later timestamps first)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text) + "\U0010ffff"


def is_available(pod: Obj, min_ready_seconds: int, now: float, parse: Any) -> bool:
    """Ready for at least minReadySeconds (`podutil.IsPodAvailable`)."""
    since = ready_since(pod)
    if since is None or is_terminating(pod):
        return False
    return min_ready_seconds <= 0 or parse(since) + min_ready_seconds <= now


def available_at(pod: Obj, min_ready_seconds: int, parse: Any) -> float | None:
    """When a Ready pod becomes available (for a wake-up), None if it is not Ready."""
    since = ready_since(pod)
    return None if since is None else float(parse(since) + min_ready_seconds)


class ReplicaSetController:
    """Creates and deletes pods for every ReplicaSet and keeps its status current.

    A pass reconciles the ReplicaSets written since the last one, those whose pods were written, and those
    whose pods are due to become available. Orphan pods are offered to the ReplicaSets of their namespace
    when they are written, and a new ReplicaSet (or a changed selector) looks through the namespace's
    orphans, which are kept in an index.
    """

    name = "replicaset"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[Key] = WorkQueue()
        self.orphan_queue: WorkQueue[Key] = WorkQueue()
        self._orphans: dict[str, set[str]] = {}
        self._selectors: dict[Key, tuple[str, str]] = {}

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """ReplicaSets written, the controllers of pods written, and orphan pods written are queued."""
        if resource == "replicasets":
            self.queue.add(object_key(obj))
        elif resource == "pods":
            owner = controller_key(obj, "ReplicaSet")
            if owner is not None:
                self.queue.add(owner)
            if not has_controller(obj) or event == "DELETED":
                self.orphan_queue.add(object_key(obj))

    def sync(self, now: float) -> float | None:
        """Reconcile every ReplicaSet that changed or is due."""
        batch = self.queue.take(now)
        orphan_batch = self.orphan_queue.take(now)
        try:
            self._sync(batch, orphan_batch, now)
        except BaseException:
            self.queue.requeue(batch)
            self.orphan_queue.requeue(orphan_batch)
            raise
        return self.queue.next_wake()

    def _sync(self, batch: Batch[Key], orphan_batch: Batch[Key], now: float) -> None:
        adoptable = self._refresh_orphans(orphan_batch)
        keys = set(batch.keys) | set(adoptable)
        if batch.everything:
            replicasets = self.store.list("replicasets", copy=False)[0]
        else:
            found = (peek_or_none(self.store, "replicasets", ns, name) for ns, name in sorted(keys))
            replicasets = [rs for rs in found if rs is not None]
        for rs in replicasets:
            key = object_key(rs)
            if meta(rs).get("deletionTimestamp"):
                self.queue.wake_at(key, None)
                continue
            with tolerate_races():
                self._adopt_orphans(rs, adoptable.get(key, set()))
                self._manage(rs, self._owned(rs))
                self.queue.wake_at(key, self._update_status(rs, self._owned(rs), now))
        for key in [
            k for k in self._selectors if k in keys and peek_or_none(self.store, "replicasets", *k) is None
        ]:
            del self._selectors[key]

    def _refresh_orphans(self, batch: Batch[Key]) -> dict[Key, set[str]]:
        """Update the orphan index; returns which changed orphans each ReplicaSet may adopt."""
        if batch.everything:
            self._orphans.clear()
            self._selectors.clear()
            for pod in self.store.list("pods", copy=False)[0]:
                if controller_of(pod) is None and not is_terminating(pod):
                    self._orphans.setdefault(str(meta(pod).get("namespace")), set()).add(name_of(pod))
            return {}
        adopters: dict[Key, set[str]] = {}
        replicasets: dict[str, list[Obj]] = {}
        for namespace, name in sorted(batch.keys):
            orphan = peek_or_none(self.store, "pods", namespace, name)
            orphans = self._orphans.setdefault(namespace, set())
            if orphan is None or controller_of(orphan) is not None or is_terminating(orphan):
                orphans.discard(name)
                continue
            orphans.add(name)
            if namespace not in replicasets:
                replicasets[namespace] = self.store.list("replicasets", namespace, copy=False)[0]
            for rs in replicasets[namespace]:
                selector = (rs.get("spec") or {}).get("selector")
                if selector and not meta(rs).get("deletionTimestamp") and selects(selector, orphan):
                    adopters.setdefault(object_key(rs), set()).add(name)
        return adopters

    def _owned(self, rs: Obj) -> list[Obj]:
        """The pods this ReplicaSet controls (shared objects: read only)."""
        namespace = meta(rs).get("namespace")
        pods = self.store.owned_by(str(meta(rs).get("uid")), "pods", copy=False)
        return [p for p in pods if meta(p).get("namespace") == namespace and is_controlled_by(p, rs)]

    def _adopt_orphans(self, rs: Obj, written: set[str]) -> None:
        """Add a controller reference to live pods that match the selector but have no controller: every
        orphan of the namespace when the ReplicaSet or its selector is new to us, else the orphans
        `written` since the last pass."""
        selector = (rs.get("spec") or {}).get("selector")
        if not selector:
            return
        key = object_key(rs)
        namespace = str(meta(rs).get("namespace"))
        seen = (str(meta(rs).get("uid")), repr(selector))
        candidates = written
        if self._selectors.get(key) != seen:
            self._selectors[key] = seen
            candidates = self._orphans.get(namespace, set())
        reference = controller_reference(rs)
        for name in sorted(candidates):
            pod = peek_or_none(self.store, "pods", namespace, name)
            if pod is None:
                continue
            if controller_of(pod) is None and not is_terminating(pod) and selects(selector, pod):
                self.store.mutate(
                    "pods",
                    namespace,
                    name,
                    lambda obj: obj["metadata"].setdefault("ownerReferences", []).append(reference),
                )

    def _manage(self, rs: Obj, owned: list[Obj]) -> None:
        """Create or delete pods until the active count matches spec.replicas."""
        spec = rs.get("spec") or {}
        wanted = int(spec.get("replicas", 1))
        active = [p for p in owned if is_active(p)]
        diff = wanted - len(active)
        namespace = meta(rs).get("namespace")
        if diff > 0:
            for _ in range(diff):
                pod = self.store.create(
                    "pods", pods_from_template(rs, spec.get("template") or {}), namespace=namespace
                )
                self._report(rs, "SuccessfulCreate", f"Created pod: {name_of(pod)}")
        elif diff < 0:
            for pod in sorted(active, key=deletion_rank)[:-diff]:
                with tolerate_races():
                    self.store.delete("pods", namespace, name_of(pod))
                    self._report(rs, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}")

    def _report(self, rs: Obj, reason: str, message: str) -> None:
        self.store.events.record(rs, reason=reason, message=message, component="replicaset-controller")

    def _update_status(self, rs: Obj, owned: list[Obj], now: float) -> float | None:
        """Write replicas/ready/available/fullyLabeled counts; returns when a pod next becomes available."""
        spec = rs.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        parse = self.store.clock.parse
        active = [p for p in owned if is_active(p)]
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        wake: float | None = None
        for pod in active:
            at = available_at(pod, min_ready, parse)
            if at is not None and at > now:
                wake = earliest(wake, at)
        counts = {
            "fullyLabeledReplicas": sum(
                1 for p in active if all(labels_of(p).get(k) == v for k, v in template_labels.items())
            ),
            "readyReplicas": sum(1 for p in active if is_ready(p)),
            "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now, parse)),
        }
        status = {
            "replicas": len(active),
            **{k: v for k, v in counts.items() if v},  # omitempty, as the API server writes them
            "terminatingReplicas": sum(1 for p in owned if is_terminating(p)),
            "observedGeneration": meta(rs).get("generation", 1),
        }

        def write(obj: Obj) -> None:
            conditions = (obj.get("status") or {}).get("conditions")
            obj["status"] = {**status, "conditions": conditions} if conditions else dict(status)

        self.store.mutate("replicasets", meta(rs).get("namespace"), name_of(rs), write, subresource="status")
        return wake
