"""Foreground and orphan cascading deletion, as the API server and the garbage collector do them.

``propagationPolicy=Foreground``: the owner gets a deletionTimestamp and the ``foregroundDeletion``
finalizer and stays readable; its dependents are deleted first (in the foreground themselves when they have
dependents of their own, as the collector does), and when the last one is gone the finalizer is removed
and the owner with it. ``Orphan``: the owner gets the ``orphan`` finalizer, its dependents lose their
ownerReference to it, then the finalizer goes and the owner with it. ``Background`` (the default) is the
store's own: the owner goes at once and its dependents after it.

The store calls `hold` and `collect` from a delete, and `released` after every final removal, with its
lock held; everything here writes through the store's public methods.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from kubesim.errors import ApiError
from kubesim.resources import ResourceType

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
FINALIZERS = {"Foreground": FOREGROUND, "Orphan": ORPHAN}
"""The finalizer the API server adds for each propagation policy that needs the collector's work."""


def hold(obj: Obj, finalizer: str) -> None:
    """Add the policy's finalizer to an object being deleted (in place, once)."""
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def _uid(obj: Obj) -> str:
    return str(obj["metadata"].get("uid") or "")


def _namespace(obj: Obj) -> str | None:
    return obj["metadata"].get("namespace") or None


def collect(store: Store, rt: ResourceType, owner: Obj, finalizer: str) -> None:
    """The collector's work for an owner just marked for deletion with `finalizer`."""
    uid = _uid(owner)
    for resource, namespace, name in store.dependents(uid):
        with contextlib.suppress(ApiError):  # gone meanwhile
            if finalizer == ORPHAN:
                store.mutate(resource, namespace or None, name, lambda obj: _drop_reference(obj, uid))
                continue
            dependent = store.peek(resource, namespace or None, name)
            if dependent["metadata"].get("deletionTimestamp"):
                continue
            policy = "Foreground" if store.dependents(_uid(dependent)) else "Background"
            store.delete(resource, namespace or None, name, propagation_policy=policy)
    if finalizer == ORPHAN or not store.dependents(uid):
        _release(store, rt, owner, finalizer)


def _drop_reference(obj: Obj, owner_uid: str) -> None:
    refs = obj["metadata"].get("ownerReferences") or []
    kept = [ref for ref in refs if ref.get("uid") != owner_uid]
    if kept:
        obj["metadata"]["ownerReferences"] = kept
    else:
        obj["metadata"].pop("ownerReferences", None)


def _release(store: Store, rt: ResourceType, owner: Obj, finalizer: str) -> None:
    """Remove the collector's finalizer; the store removes the owner when no other finalizer holds it."""

    def drop(obj: Obj) -> None:
        finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        if finalizers:
            obj["metadata"]["finalizers"] = finalizers
        else:
            obj["metadata"].pop("finalizers", None)

    with contextlib.suppress(ApiError):
        store.mutate(rt.plural, _namespace(owner), owner["metadata"]["name"], drop)


def released(store: Store, removed: Obj) -> None:
    """After `removed` is gone: an owner waiting in the foreground for its last dependent is finalized."""
    refs = removed["metadata"].get("ownerReferences") or []
    if not refs:
        return
    by_kind = {(rt.api_version, rt.kind): rt for rt in store.served().values()}
    for ref in refs:
        rt = by_kind.get((ref.get("apiVersion"), ref.get("kind")))
        if rt is None:
            continue
        namespace = _namespace(removed) if rt.namespaced else None
        try:
            owner = store.peek(rt.plural, namespace, str(ref.get("name", "")))
        except ApiError:
            continue
        if _uid(owner) != ref.get("uid"):
            continue
        waiting = FOREGROUND in (owner["metadata"].get("finalizers") or [])
        if waiting and owner["metadata"].get("deletionTimestamp") and not store.dependents(_uid(owner)):
            _release(store, rt, owner, FOREGROUND)
