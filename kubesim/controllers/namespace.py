"""Namespace controller: empties a namespace being deleted, then finalizes it (the `kubernetes` entry of
spec.finalizers goes and the namespace with it).

As kube-controller-manager's namespace deleter does: every object of every namespaced resource in a
Terminating namespace is deleted (pods gracefully, objects with finalizers wait for them), the status
conditions say what remains and which finalizers hold it, and once nothing is left the namespace is
finalized. Until then the API refuses new content there (kubesim.admission).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from kubesim.admission import terminating
from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import WorkQueue
from kubesim.podutil import name_of

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]
NAMESPACE_FINALIZER = "kubernetes"


def _condition(kind: str, holds: bool, reason: str, message: str, stamp: str) -> Obj:
    return {
        "type": kind,
        "status": "True" if holds else "False",
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def conditions(remaining: Counter[str], finalizers: Counter[str], stamp: str) -> list[Obj]:
    """The five conditions the namespace deleter reports, for what is left in the namespace."""
    left = ", ".join(
        f"{resource} has {count} resource instances" for resource, count in sorted(remaining.items())
    )
    held = ", ".join(f"{name} in {count} resource instances" for name, count in sorted(finalizers.items()))
    return [
        _condition(
            "NamespaceDeletionDiscoveryFailure",
            False,
            "ResourcesDiscovered",
            "All resources successfully discovered",
            stamp,
        ),
        _condition(
            "NamespaceDeletionGroupVersionParsingFailure",
            False,
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
            stamp,
        ),
        _condition(
            "NamespaceDeletionContentFailure",
            False,
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
            stamp,
        ),
        _condition(
            "NamespaceContentRemaining",
            bool(remaining),
            "SomeResourcesRemain" if remaining else "ContentRemoved",
            f"Some resources are remaining: {left}" if remaining else "All content successfully removed",
            stamp,
        ),
        _condition(
            "NamespaceFinalizersRemaining",
            bool(finalizers),
            "SomeFinalizersRemain" if finalizers else "ContentHasNoFinalizers",
            f"Some content in the namespace has finalizers remaining: {held}"
            if finalizers
            else "All content-preserving finalizers finished",
            stamp,
        ),
    ]


class NamespaceController:
    """Deletes the content of Terminating namespaces and finalizes them once empty."""

    name = "namespace"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[str] = WorkQueue()
        self._terminating: set[str] = set()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """Terminating namespaces, and any write inside one, are looked at again."""
        if resource == "namespaces":
            name = name_of(obj)
            if event != "DELETED" and terminating(obj):
                self._terminating.add(name)
                self.queue.add(name)
            else:
                self._terminating.discard(name)
            return
        namespace = obj["metadata"].get("namespace")
        if namespace in self._terminating:
            self.queue.add(namespace)

    def sync(self, now: float) -> float | None:
        """Delete what is left in each changed Terminating namespace; finalize the empty ones."""
        batch = self.queue.take(now)
        if batch.everything:
            names = [name_of(ns) for ns in self.store.list("namespaces", copy=False)[0]]
        else:
            names = sorted(batch.keys)
        for name in names:
            namespace = peek_or_none(self.store, "namespaces", None, name)
            if namespace is not None and terminating(namespace):
                self._terminating.add(name)
                self._empty(namespace)
        return None

    def _empty(self, namespace: Obj) -> None:
        name = name_of(namespace)
        namespaced = {resource: rt for resource, rt in self.store.served().items() if rt.namespaced}
        for resource in namespaced:
            for obj in self.store.list(resource, name, copy=False)[0]:
                if not obj["metadata"].get("deletionTimestamp"):
                    with tolerate_races():
                        self.store.delete(resource, name, obj["metadata"]["name"])
        remaining: Counter[str] = Counter()
        finalizers: Counter[str] = Counter()
        for resource, rt in namespaced.items():
            for obj in self.store.list(resource, name, copy=False)[0]:
                remaining[f"{resource}.{rt.group}"] += 1
                finalizers.update(obj["metadata"].get("finalizers") or [])
        stamp = self.store.clock.timestamp()
        wanted = conditions(remaining, finalizers, stamp)

        def report(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            known = {c["type"]: c for c in status.get("conditions") or []}
            fresh = []
            for condition in wanted:
                before = known.get(condition["type"])
                same = before is not None and all(
                    before.get(k) == condition[k] for k in ("status", "reason", "message")
                )
                fresh.append(before if same else condition)
            status["conditions"] = fresh

        with tolerate_races():
            self.store.mutate("namespaces", None, name, report, subresource="status")
        if not remaining:

            def finalize(obj: Obj) -> None:
                spec = obj.setdefault("spec", {})
                spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]

            with tolerate_races():
                self.store.mutate("namespaces", None, name, finalize)
