"""The object store behind the API: versioned writes, selectors, indexes, graceful deletion, GC and events.

Stored objects are never mutated after a write: every write stores a fresh dict, so readers inside kubesim
(the HTTP layer, watch history) may share them without copying, while the public read methods hand out
copies. Each entry caches its JSON encoding, so serving a large list is a byte join rather than 150,000
`json.dumps` calls. Pods are indexed by `spec.nodeName` and every object by the uids it is owned by.
"""

from __future__ import annotations

import bisect
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from kubesim import admission, crds, errors, garbage, snapshots
from kubesim.clock import Clock
from kubesim.errors import ApiError
from kubesim.events import Recorder
from kubesim.patching import apply_patch
from kubesim.records import (
    Entry,
    Event,
    ListPage,
    clone,
    decode_continue,
    encode_continue,
    finalized,
    kind_first,
    owner_uids,
)
from kubesim.resources import GENERATION_KEPT, RESOURCES, ResourceType, apply_defaults
from kubesim.selectors import FieldSelector, LabelSelector, parse_field_selector, parse_label_selector

Obj = dict[str, Any]
Listener = Callable[[str, str, Obj], None]
Objs = list[Obj]
Keys = list[tuple[str, str, str]]
Events = list["Event"]

HISTORY_LIMIT = 1000
"""Events kept per resource for watches and exact lists (between this and twice this): a watch cache
of a realistic size, so a client that falls behind under churn gets 410 Gone and relists."""
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""The namespaces kube-apiserver's bootstrap controller creates: every cluster has them."""
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_TERMINAL_PHASES = ("Succeeded", "Failed")


class Store:
    """Thread-safe in-memory objects of every served resource (one RLock around all state)."""

    def __init__(self, *, clock: Clock, history_limit: int = HISTORY_LIMIT) -> None:
        self.clock = clock
        self.resource_version = 0
        self.history_limit = history_limit
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, dict[str, Entry]]] = {r: {} for r in RESOURCES}
        self._sorted: dict[str, list[tuple[str, str]] | None] = dict.fromkeys(RESOURCES)
        self._by_node: dict[str, dict[tuple[str, str], Entry]] = {}
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}
        self._history: dict[str, list[Event]] = {r: [] for r in RESOURCES}
        self._compacted: dict[str, int] = dict.fromkeys(RESOURCES, 0)
        self._oldest = 0
        """No exact list before this version (the last `compact`)."""
        self._listeners: list[Listener] = []
        self._watchers: dict[str, list[Callable[[Event], None]]] = {r: [] for r in RESOURCES}
        self.events = Recorder(self)
        """Where controllers report Events about objects (kubesim.events)."""
        self.custom: dict[str, ResourceType] = {}
        """The resources CustomResourceDefinitions define, by plural (kubesim.crds keeps it current)."""
        crds.install(self)
        for name in SYSTEM_NAMESPACES:
            self.create("namespaces", {"metadata": {"name": name}})

    # ---- helpers -----------------------------------------------------------------------------------------

    def resource_type(self, resource: str) -> ResourceType:
        """The type of a served resource (built in or custom); 404 for anything else."""
        rt = RESOURCES.get(resource) or self.custom.get(resource)
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rt

    def _ns(self, rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _entry(self, resource: str, namespace: str | None, name: str) -> Entry:
        rt = self.resource_type(resource)
        entry = self._data[resource].get(self._ns(rt, namespace), {}).get(name)
        if entry is None:
            raise errors.not_found(rt, name)
        return entry

    def _sorted_keys(self, resource: str) -> list[tuple[str, str]]:
        keys = self._sorted[resource]
        if keys is None:
            keys = sorted((ns, name) for ns, names in self._data[resource].items() for name in names)
            self._sorted[resource] = keys
        return keys

    # ---- reads -------------------------------------------------------------------------------------------

    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        """A copy of one object; ApiError 404 when it does not exist."""
        with self._lock:
            return clone(self._entry(resource, namespace, name).obj)

    def find(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """A copy of one object, or None."""
        with self._lock:
            try:
                return clone(self._entry(resource, namespace, name).obj)
            except ApiError:
                return None

    def peek(self, resource: str, namespace: str | None, name: str) -> Obj:
        """The stored object itself (no copy, must not be mutated); ApiError 404 when missing."""
        with self._lock:
            return self._entry(resource, namespace, name).obj

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        copy: bool = True,
    ) -> tuple[list[Obj], str]:
        """(matching objects sorted by namespace/name, list resourceVersion). `copy=False` shares the stored
        objects (faster for read-only callers, who must not mutate them)."""
        page = self.list_page(
            resource, namespace, label_selector=label_selector, field_selector=field_selector, encode=False
        )
        items = [clone(o) for o in page.items] if copy else page.items
        return items, page.resource_version

    def list_page(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        encode: bool = True,
    ) -> ListPage:
        """A page of matching objects (shared, read-only) plus their JSON; pods by node use the index."""
        rt = self.resource_type(resource)
        labels = (
            label_selector
            if isinstance(label_selector, LabelSelector)
            else parse_label_selector(label_selector)
        )
        fields = (
            field_selector
            if isinstance(field_selector, FieldSelector)
            else parse_field_selector(field_selector, resource)
        )
        start = decode_continue(continue_token) if continue_token else None
        ns = self._ns(rt, namespace) if namespace else None
        with self._lock:
            version = str(self.resource_version)
            candidates = self._candidates(resource, ns, fields, start)
            items: list[Obj] = []
            entries: list[Entry] = []
            more = False
            for entry in candidates:
                obj = entry.obj
                if (labels.empty or labels.matches_object(obj)) and (fields.empty or fields.matches(obj)):
                    if limit and len(items) >= limit:
                        more = True
                        break
                    items.append(obj)
                    entries.append(entry)
            remaining = None
            if more and items and labels.empty and fields.empty:
                remaining = self._after(resource, ns, items[-1])
        token = None
        if more and items:
            meta = items[-1]["metadata"]
            token = encode_continue(meta.get("namespace", ""), meta["name"])
        raw = [e.encoded() for e in entries] if encode else []
        return ListPage(items, raw, version, token, remaining)

    def _after(self, resource: str, ns: str | None, last: Obj) -> int:
        """How many objects follow `last` in an unfiltered list (remainingItemCount)."""
        keys = self._sorted_keys(resource)
        high = bisect.bisect_left(keys, (ns + "\x00", "")) if ns is not None else len(keys)
        meta = last["metadata"]
        return high - bisect.bisect_right(keys, (meta.get("namespace", ""), meta["name"]))

    def _candidates(
        self, resource: str, ns: str | None, fields: FieldSelector, start: tuple[str, str] | None
    ) -> Iterable[Entry]:
        """Entries in key order from just after `start`, narrowed by the node index or namespace."""
        node = fields.equals("spec.nodeName") if resource == "pods" else None
        if node is not None:
            keyed = sorted(self._by_node.get(node, {}).items())
            if ns is not None:
                keyed = [(k, e) for k, e in keyed if k[0] == ns]
            return [e for k, e in keyed if start is None or k > start]
        keys = self._sorted_keys(resource)
        if ns is not None:
            low = bisect.bisect_left(keys, (ns, ""))
            high = bisect.bisect_left(keys, (ns + "\x00", ""))
        else:
            low, high = 0, len(keys)
        if start is not None:
            low = max(low, bisect.bisect_right(keys, start))
        data = self._data[resource]
        return (data[k[0]][k[1]] for k in keys[low:high])

    def pods_on_node(self, node_name: str, *, copy: bool = True) -> Objs:
        """The pods bound to a node ("" = unscheduled pods), from the spec.nodeName index, sorted by
        namespace/name. `copy=False` shares the stored objects (read-only)."""
        with self._lock:
            entries = [e for _, e in sorted(self._by_node.get(node_name, {}).items())]
            return [clone(e.obj) if copy else e.obj for e in entries]

    def dependents(self, owner_uid: str) -> Keys:
        """(resource, namespace, name) of every object with an ownerReference to `owner_uid`."""
        with self._lock:
            return sorted(self._dependents.get(owner_uid, ()))

    def owned_by(self, owner_uid: str, resource: str | None = None, *, copy: bool = True) -> Objs:
        """The objects (optionally of one resource) owned by `owner_uid`, from the ownerReferences index:
        a controller's pods without scanning every pod. `copy=False` shares the stored objects (read-only)."""
        with self._lock:
            found = []
            for kind, ns, name in sorted(self._dependents.get(owner_uid, ())):
                if resource is None or kind == resource:
                    obj = self._data[kind][ns][name].obj
                    found.append(clone(obj) if copy else obj)
            return found

    def objects_at(self, resource: str, version: int) -> Objs:
        """The objects of a resource as they were at `version` (shared, read-only), from the history:
        410 when it is older than the history kept, 504 when the store has not reached it."""
        with self._lock:
            if version > self.resource_version:
                raise snapshots.too_large(version, self.resource_version)
            if version < self._compacted[resource] or version < self._oldest:
                raise snapshots.too_old()
            history = self._history[resource]
            later = history[bisect.bisect_right(history, version, key=lambda e: e.resource_version) :]
            current = [e.obj for names in self._data[resource].values() for e in names.values()]
            return snapshots.state_at(current, later)

    def compact(self) -> None:
        """Forget every event so far, as an etcd compaction does: watches and exact lists from an
        earlier version get 410 (the fault that forces clients to relist)."""
        with self._lock:
            self._oldest = self.resource_version
            for resource, history in self._history.items():
                history.clear()
                self._compacted[resource] = self.resource_version

    def count(self, resource: str) -> int:
        """How many objects of a resource are stored."""
        with self._lock:
            return sum(len(names) for names in self._data[resource].values())

    # ---- writes ------------------------------------------------------------------------------------------

    def _commit(self, resource: str, kind: str, ns: str, name: str, *, new: Obj, old: Obj | None) -> Obj:
        """Record one write: bump the RV, update indexes and history, notify. `new` becomes shared."""
        self.resource_version += 1
        version = self.resource_version
        if kind == "DELETED":
            new = {**new, "metadata": {**new["metadata"], "resourceVersion": str(version)}}
            del self._data[resource][ns][name]
            self._sorted[resource] = None
        else:
            new["metadata"]["resourceVersion"] = str(version)
            self._data[resource].setdefault(ns, {})[name] = Entry(new)
            if old is None:
                self._sorted[resource] = None
        if resource == "pods":
            self._reindex_pod(ns, name, new if kind != "DELETED" else None, old)
        old_owners = owner_uids(old) if old is not None else set()
        new_owners = owner_uids(new) if kind != "DELETED" else set()
        if old_owners != new_owners:
            key = (resource, ns, name)
            for uid in old_owners - new_owners:
                holders = self._dependents.get(uid)
                if holders is not None:
                    holders.discard(key)
                    if not holders:
                        del self._dependents[uid]
            for uid in new_owners - old_owners:
                self._dependents.setdefault(uid, set()).add(key)
        event = Event(version, kind, resource, new, old)
        history = self._history[resource]
        history.append(event)
        if len(history) > 2 * self.history_limit:
            dropped = len(history) - self.history_limit
            self._compacted[resource] = history[dropped - 1].resource_version
            del history[:dropped]
        for listener in list(self._listeners):
            listener(kind, resource, new)
        for watcher in list(self._watchers[resource]):
            watcher(event)
        return new

    def _reindex_pod(self, ns: str, name: str, new: Obj | None, old: Obj | None) -> None:
        """Keep the spec.nodeName index current; unscheduled pods are indexed under ""."""
        key = (ns, name)
        old_node = None if old is None else old.get("spec", {}).get("nodeName") or ""
        new_node = None if new is None else new.get("spec", {}).get("nodeName") or ""
        if old_node is not None and old_node != new_node:
            on_node = self._by_node.get(old_node, {})
            on_node.pop(key, None)
            if not on_node:
                self._by_node.pop(old_node, None)
        if new_node is not None:
            self._by_node.setdefault(new_node, {})[key] = self._data["pods"][ns][name]

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
            admission.admit_create(rt, new, namespace=namespace_entry.obj if namespace_entry else None)
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
            old = self._entry(resource, meta.get("namespace"), meta.get("name", "")).obj
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
            old = self._entry(resource, namespace, name).obj
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
            old = self._entry(resource, namespace, name).obj
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
            old = self._entry(resource, namespace, name).obj
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
            entry = self._entry(resource, namespace, name)
            ns = self._ns(rt, entry.obj["metadata"].get("namespace"))
            if not finalized(entry.obj):
                if entry.obj["metadata"].get("deletionGracePeriodSeconds") != 0:
                    new = clone(entry.obj)
                    new["metadata"]["deletionGracePeriodSeconds"] = 0
                    self._commit(resource, "MODIFIED", ns, name, new=new, old=entry.obj)
                return
            self._remove(rt, ns, name, propagation_policy=None)

    def _remove(self, rt: ResourceType, ns: str, name: str, *, propagation_policy: str | None) -> Obj:
        old = self._data[rt.plural][ns][name].obj
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

    def _collect(self, owner_uid: str, *, orphan: bool) -> None:
        """Garbage-collect (or orphan) the dependents of a removed owner."""
        for resource, ns, name in sorted(self._dependents.get(owner_uid, ())):
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

    # ---- custom resources (kubesim.crds) -----------------------------------------------------------------

    def served(self) -> dict[str, ResourceType]:
        """Every stored resource, built in and custom, by plural."""
        return {**RESOURCES, **self.custom}

    def serve(self, rt: ResourceType) -> None:
        """Start storing a custom resource (kept as it is if already served)."""
        with self._lock:
            self.custom[rt.plural] = rt
            self._data.setdefault(rt.plural, {})
            self._sorted.setdefault(rt.plural, None)
            self._history.setdefault(rt.plural, [])
            self._compacted.setdefault(rt.plural, 0)
            self._watchers.setdefault(rt.plural, [])

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

    # ---- notifications -----------------------------------------------------------------------------------

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        """Call fn(event_type, resource, obj) after every committed write (with the lock held: keep it tiny,
        never mutate obj). Returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)

        return unsubscribe

    def watch(
        self, resource: str, *, since: int | None, fn: Callable[[Event], None]
    ) -> tuple[Events, Callable[[], None]]:
        """Atomically: the backlog (synthetic ADDED for every current object when `since` is None, else the
        events after RV `since`) and a subscription for later events. 410 Expired when `since` is too old."""
        self.resource_type(resource)
        with self._lock:
            if since is None:
                backlog = [
                    Event(int(e.obj["metadata"]["resourceVersion"]), "ADDED", resource, e.obj)
                    for names in self._data[resource].values()
                    for e in names.values()
                ]
                backlog.sort(key=lambda e: e.resource_version)
            else:
                if since < self._compacted[resource]:
                    raise errors.expired(
                        f"too old resource version: {since} ({self._compacted[resource] + 1})"
                    )
                history = self._history[resource]
                backlog = history[bisect.bisect_right(history, since, key=lambda e: e.resource_version) :]
            self._watchers[resource].append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._watchers[resource]:
                    self._watchers[resource].remove(fn)

        return backlog, unsubscribe
