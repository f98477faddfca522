"""Versioned storage of every served resource: entries, the sorted keys, indexes, the watch cache, the
reads and the one commit every write goes through, and the notifications that follow it.

Objects are kept compactly (`kubesim.entries`): those in use decoded, the rest as compressed JSON. The
public reads hand out copies the caller may keep; `peek` and `copy=False` share the stored object, as do
the watch history and the listeners, who must never mutate it. Serving a large list is a byte join of
the stored encodings rather than 150,000 `json.dumps` calls. Pods are indexed by `spec.nodeName` and every object by the uids it is owned by
(`kubesim.indexes`); the last events of each resource are kept for watches (`kubesim.watchcache`).
The API's write rules (defaults, admission, graceful deletion, garbage collection) are `kubesim.store`'s.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable
from typing import Any

from kubesim import errors, snapshots
from kubesim.clock import Clock
from kubesim.entries import Entries, Entry, ListPage
from kubesim.errors import ApiError
from kubesim.indexes import Indexes
from kubesim.records import Event, decode_continue, encode_continue
from kubesim.resources import RESOURCES, ResourceType
from kubesim.selectors import FieldSelector, LabelSelector, parse_field_selector, parse_label_selector
from kubesim.watchcache import WatchCache

Obj = dict[str, Any]
Listener = Callable[[str, str, Obj], None]
Objs = list[Obj]
Keys = list[tuple[str, str, str]]
Key = tuple[str, str]
Events = list["Event"]

HISTORY_LIMIT = 1000
"""Events kept per resource for watches and exact lists (between this and twice this): a watch cache
of a realistic size, so a client that falls behind under churn gets 410 Gone and relists."""


class Storage:
    """Thread-safe in-memory objects of every served resource (one RLock around all state)."""

    def __init__(self, *, clock: Clock, history_limit: int = HISTORY_LIMIT) -> None:
        self.clock = clock
        self.resource_version = 0
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, dict[str, Entry]]] = {r: {} for r in RESOURCES}
        self._entries = Entries()
        self._sorted: dict[str, list[tuple[str, str]] | None] = dict.fromkeys(RESOURCES)
        self._indexes = Indexes()
        self._cache = WatchCache(RESOURCES, limit=history_limit)
        self._listeners: list[Listener] = []
        self._watchers: dict[str, list[Callable[[Event], None]]] = {r: [] for r in RESOURCES}
        self.custom: dict[str, ResourceType] = {}
        """The resources CustomResourceDefinitions define, by plural (kubesim.crds keeps it current)."""

    @property
    def history_limit(self) -> int:
        """Events kept per resource (see HISTORY_LIMIT); may be changed at any time."""
        return self._cache.limit

    @history_limit.setter
    def history_limit(self, limit: int) -> None:
        self._cache.limit = limit

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

    def _object(self, resource: str, namespace: str | None, name: str) -> Obj:
        """The stored object, shared (never mutate it); ApiError 404 when missing. Call with the lock held."""
        return self._entries.shared(self._entry(resource, namespace, name))

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
            entry = self._entry(resource, namespace, name)
        return entry.decode()

    def find(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """A copy of one object, or None."""
        try:
            return self.get(resource, namespace, name)
        except ApiError:
            return None

    def peek(self, resource: str, namespace: str | None, name: str) -> Obj:
        """The stored object itself (no copy, must not be mutated); ApiError 404 when missing."""
        with self._lock:
            return self._object(resource, namespace, name)

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
        if copy:
            page = self.list_page(
                resource, namespace, label_selector=label_selector, field_selector=field_selector
            )
            return page.items, page.resource_version
        with self._lock:
            page = self.list_page(
                resource, namespace, label_selector=label_selector, field_selector=field_selector
            )
            return [self._entries.shared(e) for e in page.entries], page.resource_version

    def list_page(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> ListPage:
        """A page of matching entries (decoded or encoded on demand); pods by node use the index."""
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
            node = fields.equals("spec.nodeName") if resource == "pods" else None
            candidates = self._candidates(resource, ns, node, start)
            by_index_alone = node is not None and fields.terms == (("spec.nodeName", "=", node),)
            check_fields = not fields.empty and not by_index_alone
            entries: list[Entry] = []
            last: Key | None = None
            more = False
            for key, entry in candidates:
                if (labels.empty or labels.matches(entry.labels)) and (
                    not check_fields or fields.matches(self._entries.shared(entry))
                ):
                    if limit and len(entries) >= limit:
                        more = True
                        break
                    entries.append(entry)
                    last = key
            remaining = None
            if more and last is not None and labels.empty and fields.empty:
                remaining = self._after(resource, ns, last)
        token = encode_continue(*last) if more and last is not None else None
        return ListPage(entries, version, token, remaining)

    def _after(self, resource: str, ns: str | None, last: Key) -> int:
        """How many objects follow the key `last` in an unfiltered list (remainingItemCount)."""
        keys = self._sorted_keys(resource)
        high = bisect.bisect_left(keys, (ns + "\x00", "")) if ns is not None else len(keys)
        return high - bisect.bisect_right(keys, last)

    def _candidates(
        self, resource: str, ns: str | None, node: str | None, start: Key | None
    ) -> Iterable[tuple[Key, Entry]]:
        """(key, entry) in key order from just after `start`, narrowed by the node index or namespace."""
        if node is not None:
            keyed = self._indexes.on_node(node)
            if ns is not None:
                keyed = [(k, e) for k, e in keyed if k[0] == ns]
            return [(k, e) for k, e in keyed if start is None or k > start]
        keys = self._sorted_keys(resource)
        if ns is not None:
            low = bisect.bisect_left(keys, (ns, ""))
            high = bisect.bisect_left(keys, (ns + "\x00", ""))
        else:
            low, high = 0, len(keys)
        if start is not None:
            low = max(low, bisect.bisect_right(keys, start))
        data = self._data[resource]
        return ((k, data[k[0]][k[1]]) for k in keys[low:high])

    def pods_on_node(self, node_name: str, *, copy: bool = True) -> Objs:
        """The pods bound to a node ("" = unscheduled pods), from the spec.nodeName index, sorted by
        namespace/name. `copy=False` shares the stored objects (read-only)."""
        with self._lock:
            entries = [e for _, e in self._indexes.on_node(node_name)]
            if not copy:
                return [self._entries.shared(e) for e in entries]
        return [e.decode() for e in entries]

    def dependents(self, owner_uid: str) -> Keys:
        """(resource, namespace, name) of every object with an ownerReference to `owner_uid`."""
        with self._lock:
            return self._indexes.dependents_of(owner_uid)

    def owned_by(self, owner_uid: str, resource: str | None = None, *, copy: bool = True) -> Objs:
        """The objects (optionally of one resource) owned by `owner_uid`, from the ownerReferences index:
        a controller's pods without scanning every pod. `copy=False` shares the stored objects (read-only)."""
        with self._lock:
            entries = [
                self._data[kind][ns][name]
                for kind, ns, name in self._indexes.dependents_of(owner_uid)
                if resource is None or kind == resource
            ]
            if not copy:
                return [self._entries.shared(e) for e in entries]
        return [e.decode() for e in entries]

    def objects_at(self, resource: str, version: int) -> Objs:
        """The objects of a resource as they were at `version` (read-only), from the history:
        410 when it is older than the history kept, 504 when the store has not reached it."""
        with self._lock:
            if version > self.resource_version:
                raise snapshots.too_large(version, self.resource_version)
            later = self._cache.undo_since(resource, version)
            current = [e.decode() for names in self._data[resource].values() for e in names.values()]
            return snapshots.state_at(current, later)

    def compact(self) -> None:
        """Forget every event so far, as an etcd compaction does: watches and exact lists from an
        earlier version get 410 (the fault that forces clients to relist)."""
        with self._lock:
            self._cache.compact(self.resource_version)

    def count(self, resource: str) -> int:
        """How many objects of a resource are stored."""
        with self._lock:
            return sum(len(names) for names in self._data[resource].values())

    # ---- writes ------------------------------------------------------------------------------------------

    def _commit(self, resource: str, kind: str, ns: str, name: str, *, new: Obj, old: Obj | None) -> Obj:
        """Record one write: bump the RV, update indexes and history, notify. `new` becomes shared."""
        self.resource_version += 1
        version = self.resource_version
        entry: Entry | None = None
        names = self._data[resource].setdefault(ns, {})
        previous = names.get(name)
        if previous is not None:
            self._entries.forget(previous)
        if kind == "DELETED":
            new = {**new, "metadata": {**new["metadata"], "resourceVersion": str(version)}}
            del names[name]
            self._sorted[resource] = None
        else:
            new["metadata"]["resourceVersion"] = str(version)
            entry = names[name] = self._entries.entry(resource, new)
            if old is None:
                self._sorted[resource] = None
        self._indexes.update(resource, ns, name, entry=entry, new=None if entry is None else new, old=old)
        event = Event(version, kind, resource, new, old)
        self._cache.record(event)
        for listener in list(self._listeners):
            listener(kind, resource, new)
        for watcher in list(self._watchers[resource]):
            watcher(event)
        return new

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
            self._cache.add(rt.plural)
            self._watchers.setdefault(rt.plural, [])

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
                current = [e.decode() for names in self._data[resource].values() for e in names.values()]
                backlog = [
                    Event(int(o["metadata"]["resourceVersion"]), "ADDED", resource, o) for o in current
                ]
                backlog.sort(key=lambda e: e.resource_version)
            else:
                backlog = self._cache.since(resource, since)
            self._watchers[resource].append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._watchers[resource]:
                    self._watchers[resource].remove(fn)

        return backlog, unsubscribe
