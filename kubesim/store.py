"""The object store behind the API: the API server's write rules over `kubesim.storage`'s versioned
objects. Creates get uids, timestamps, generations and defaults, and pass admission; updates carry the
server-owned metadata over and bump the generation on a spec change; patches and read-modify-writes go
through the same path. Deletion is graceful for running pods (the kubelet removes them), waits for
finalizers, empties a deleted namespace and garbage-collects (or orphans) the dependents of what goes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from kubesim import admission, crds, errors, garbage
from kubesim.clock import Clock
from kubesim.events import Recorder
from kubesim.patching import apply_patch
from kubesim.records import clone, finalized, kind_first
from kubesim.resources import GENERATION_KEPT, ResourceType, apply_defaults
from kubesim.storage import HISTORY_LIMIT, Storage

__all__ = ["HISTORY_LIMIT", "SYSTEM_NAMESPACES", "Obj", "Store"]

Obj = dict[str, Any]

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""The namespaces kube-apiserver's bootstrap controller creates: every cluster has them."""
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_TERMINAL_PHASES = ("Succeeded", "Failed")


class Store(Storage):
    """Thread-safe in-memory objects of every served resource, written as the API server writes them."""

    def __init__(self, *, clock: Clock, history_limit: int = HISTORY_LIMIT) -> None:
        super().__init__(clock=clock, history_limit=history_limit)
        self.events = Recorder(self)
        """Where controllers report Events about objects (kubesim.events)."""
        crds.install(self)
        for name in SYSTEM_NAMESPACES:
            self.create("namespaces", {"metadata": {"name": name}})

    # ---- writes ------------------------------------------------------------------------------------------

    def _generate_name(self, resource: str, ns: str, prefix: str) -> str:
        existing = self._data[resource].get(ns, {})
        while True:
            name = prefix + "".join(random.choices(_NAME_ALPHABET, k=5))
            if name not in existing:
                return name

    def create(
        self,
        resource: str,
        obj: Obj,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        copy: bool = True,
    ) -> Obj:
        """Store a new object (uid, creationTimestamp, RV, generation, defaults); 409 if taken.

        `copy=False` is for bulk loaders: the store adopts `obj` itself (the caller must not touch it again)
        and returns the stored object (read-only), saving two deep copies per object."""
        rt = self.resource_type(resource)
        new: Obj = clone(obj) if copy else obj
        meta = new.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if rt.namespaced:
            if namespace and meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        ns = self._ns(rt, meta.get("namespace"))
        kind_first(new, rt)
        with self._lock:
            name = meta.get("name")
            if not name and meta.get("generateName"):
                name = meta["name"] = self._generate_name(resource, ns, meta["generateName"])
            for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
                meta.pop(key, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = self.clock.timestamp()
            if resource in GENERATION_KEPT or rt.custom:
                meta["generation"] = 1
            apply_defaults(resource, new)
            namespace_entry = self._data["namespaces"].get("", {}).get(ns) if rt.namespaced else None
            admission.admit_create(
                rt, new, namespace=self._entries.shared(namespace_entry) if namespace_entry else None
            )
            name = str(meta["name"])  # validation refuses a missing name
            if name in self._data[resource].get(ns, {}):
                raise errors.already_exists(rt, name)
            if dry_run:
                return new
            stored = self._commit(resource, "ADDED", ns, name, new=new, old=None)
            return clone(stored) if copy else stored

    def _update(
        self,
        rt: ResourceType,
        old: Obj,
        new: Obj,
        *,
        subresource: str | None,
        keep_status: bool,
        dry_run: bool = False,
    ) -> Obj:
        """Commit `new` over `old` with the API server's rules (defaults, generation, admission); returns
        the stored object (shared). A dry run goes as far as admission and returns what would be stored."""
        resource = rt.plural
        meta_old = old["metadata"]
        if subresource == "status":
            new = {**clone(old), "status": new.get("status", old.get("status"))}
        elif subresource is None and keep_status and "status" in old:
            new["status"] = clone(old["status"])
        elif subresource is None and keep_status:
            new.pop("status", None)
        meta = new.setdefault("metadata", {})
        for key in (
            "uid",
            "creationTimestamp",
            "namespace",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if key in meta_old:
                meta[key] = meta_old[key]
            else:
                meta.pop(key, None)
        meta["name"] = meta_old["name"]
        kind_first(new, rt)
        if "generation" in meta_old:
            changed = subresource is None and new.get("spec") != old.get("spec")
            meta["generation"] = meta_old["generation"] + (1 if changed else 0)
        meta["resourceVersion"] = meta_old.get("resourceVersion")
        apply_defaults(resource, new)  # like kube-apiserver, default on every write, not only on create
        if new == old:
            return old
        admission.admit_update(rt, new, old, subresource=subresource)
        if dry_run:
            return new
        ns = self._ns(rt, meta_old.get("namespace"))
        done = (
            resource != "pods" or meta.get("deletionGracePeriodSeconds") == 0
        )  # a pod waits for its kubelet
        if meta.get("deletionTimestamp") and finalized(new) and done:
            self._remove(rt, ns, meta["name"], propagation_policy=None)
            return new
        return self._commit(resource, "MODIFIED", ns, meta["name"], new=new, old=old)

    def replace(
        self, resource: str, obj: Obj, *, subresource: str | None = None, dry_run: bool = False
    ) -> Obj:
        """PUT: 409 on a stale metadata.resourceVersion; status only via subresource="status"."""
        rt = self.resource_type(resource)
        meta = obj.get("metadata") or {}
        with self._lock:
            old = self._object(resource, meta.get("namespace"), meta.get("name", ""))
            wanted = meta.get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, old["metadata"]["name"])
            updated = self._update(
                rt, old, clone(obj), subresource=subresource, keep_status=True, dry_run=dry_run
            )
            return clone(updated)

    def patch(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        content_type: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """PATCH the latest object (strategic-merge, merge or json-patch); 409 only if the patch carries a
        different metadata.resourceVersion. A dry run is judged as the write would be, and stored nowhere."""
        rt = self.resource_type(resource)
        with self._lock:
            old = self._object(resource, namespace, name)
            patched = apply_patch(clone(old), body, content_type=content_type)
            if not isinstance(patched.get("metadata"), dict):
                raise errors.bad_request("metadata must be an object")
            wanted = patched["metadata"].get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            if patched["metadata"].get("name", name) != name:
                raise errors.bad_request(
                    f"the name of the object ({patched['metadata']['name']}) does not match"
                )
            updated = self._update(
                rt, old, patched, subresource=subresource, keep_status=True, dry_run=dry_run
            )
            return clone(updated)

    def mutate(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        fn: Callable[[Obj], None],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Read-modify-write under the lock: `fn` edits a copy in place; no change means no write."""
        rt = self.resource_type(resource)
        with self._lock:
            old = self._object(resource, namespace, name)
            new: Obj = clone(old)
            fn(new)
            if new == old:
                return clone(old)
            updated = self._update(rt, old, new, subresource=subresource, keep_status=False, dry_run=dry_run)
            return clone(updated)

    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        grace_period_seconds: int | None = None,
        preconditions: dict[str, Any] | None = None,
        propagation_policy: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """DELETE: scheduled, running pods get a deletionTimestamp (the kubelet removes them later); objects
        with finalizers wait for them; everything else goes now and its dependents are garbage-collected."""
        rt = self.resource_type(resource)
        with self._lock:
            old = self._object(resource, namespace, name)
            meta = old["metadata"]
            for key in ("uid", "resourceVersion"):
                want = (preconditions or {}).get(key)
                if want and want != meta.get(key):
                    label = "UID" if key == "uid" else "ResourceVersion"
                    why = (
                        f"Precondition failed: {label} in precondition: {want}, "
                        f"{label} in object meta: {meta.get(key)}"
                    )
                    raise errors.conflict(rt, name, why=why)
            ns = self._ns(rt, meta.get("namespace"))
            graceful = resource == "pods" and self._graceful(old, grace_period_seconds)
            finalizer = garbage.FINALIZERS.get(propagation_policy or "")
            if graceful or not finalized(old) or finalizer:
                if meta.get("deletionTimestamp"):
                    return clone(old)
                new: Obj = clone(old)
                if finalizer:
                    garbage.hold(new, finalizer)
                grace = self._grace(old, grace_period_seconds) if graceful else 0
                new["metadata"]["deletionTimestamp"] = self.clock.timestamp(self.clock.now() + grace)
                if resource == "namespaces":  # the namespace controller empties it, then finalizes it
                    new.setdefault("status", {})["phase"] = "Terminating"
                else:
                    new["metadata"]["deletionGracePeriodSeconds"] = grace
                if dry_run:
                    return new
                marked = self._commit(resource, "MODIFIED", ns, name, new=new, old=old)
                if finalizer:
                    garbage.collect(self, rt, marked, finalizer)
                return clone(marked)
            if dry_run:
                return clone(old)
            return clone(self._remove(rt, ns, name, propagation_policy=propagation_policy))

    @staticmethod
    def _grace(pod: Obj, grace_period_seconds: int | None) -> int:
        if grace_period_seconds is not None and grace_period_seconds >= 0:
            return grace_period_seconds
        value = pod.get("spec", {}).get("terminationGracePeriodSeconds")
        return 30 if value is None else int(value)

    def _graceful(self, pod: Obj, grace_period_seconds: int | None) -> bool:
        if self._grace(pod, grace_period_seconds) == 0:
            return False
        if not pod.get("spec", {}).get("nodeName"):
            return False
        return pod.get("status", {}).get("phase") not in _TERMINAL_PHASES

    def remove(self, resource: str, namespace: str | None, name: str) -> None:
        """Final removal now (the kubelet after a grace period): emits DELETED and garbage-collects. An
        object that finalizers still hold only has its grace period cut to zero, and goes with the last
        finalizer (see `_update`)."""
        rt = self.resource_type(resource)
        with self._lock:
            old = self._object(resource, namespace, name)
            ns = self._ns(rt, old["metadata"].get("namespace"))
            if not finalized(old):
                if old["metadata"].get("deletionGracePeriodSeconds") != 0:
                    new = clone(old)
                    new["metadata"]["deletionGracePeriodSeconds"] = 0
                    self._commit(resource, "MODIFIED", ns, name, new=new, old=old)
                return
            self._remove(rt, ns, name, propagation_policy=None)

    def _remove(self, rt: ResourceType, ns: str, name: str, *, propagation_policy: str | None) -> Obj:
        old = self._entries.shared(self._data[rt.plural][ns][name])
        removed = self._commit(rt.plural, "DELETED", ns, name, new=old, old=old)
        uid = old["metadata"].get("uid")
        if rt.plural == "namespaces":
            self._empty_namespace(name)
        if uid:
            self._collect(uid, orphan=propagation_policy == "Orphan")
        garbage.released(self, removed)
        return removed

    def _empty_namespace(self, namespace: str) -> None:
        for resource, rt in self.served().items():
            if rt.namespaced:
                for name in list(self._data[resource].get(namespace, {})):
                    if name in self._data[resource].get(namespace, {}):
                        self._remove(rt, namespace, name, propagation_policy=None)

    def retire(self, plural: str) -> None:
        """Stop serving a custom resource, removing its objects (DELETED for each, as the CRD finalizer
        does before the definition goes)."""
        with self._lock:
            rt = self.custom.get(plural)
            if rt is None:
                return
            for ns, names in list(self._data[plural].items()):
                for name in list(names):
                    self._remove(rt, ns, name, propagation_policy=None)
            del self.custom[plural]

    def _collect(self, owner_uid: str, *, orphan: bool) -> None:
        """Garbage-collect (or orphan) the dependents of a removed owner."""
        for resource, ns, name in self._indexes.dependents_of(owner_uid):
            entry = self._data[resource].get(ns, {}).get(name)
            if entry is None:
                continue
            if orphan:

                def drop_owner(obj: Obj) -> None:
                    refs = obj["metadata"].get("ownerReferences") or []
                    obj["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != owner_uid]

                self.mutate(resource, ns or None, name, drop_owner)
            else:
                self.delete(resource, ns or None, name)
