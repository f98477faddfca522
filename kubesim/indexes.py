"""The store's secondary indexes: pods by `spec.nodeName`, and every object by the uids that own it.

A kubelet's or a drain's list of one node's pods, and a controller's list of what it owns, read one index
entry instead of scanning every object: their cost does not grow with the cluster.
"""

from __future__ import annotations

from typing import Any

from kubesim.entries import Entry
from kubesim.records import owner_uids

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace, name)"""
Dependent = tuple[str, str, str]
"""(resource, namespace, name)"""


class Indexes:
    """Pods by node ("" = unscheduled) and dependents by owner uid; kept current by `update`."""

    def __init__(self) -> None:
        self.by_node: dict[str, dict[Key, Entry]] = {}
        self.dependents: dict[str, set[Dependent]] = {}

    def update(
        self, resource: str, ns: str, name: str, *, entry: Entry | None, new: Obj | None, old: Obj | None
    ) -> None:
        """Reindex one written object: `entry` is its stored entry and `new` the object stored (both None
        once deleted), `old` the object before the write (None when created)."""
        if resource == "pods":
            self._reindex_pod((ns, name), entry, new, old)
        old_owners = owner_uids(old) if old is not None else set()
        new_owners = owner_uids(new) if new is not None else set()
        if old_owners != new_owners:
            key = (resource, ns, name)
            for uid in old_owners - new_owners:
                holders = self.dependents.get(uid)
                if holders is not None:
                    holders.discard(key)
                    if not holders:
                        del self.dependents[uid]
            for uid in new_owners - old_owners:
                self.dependents.setdefault(uid, set()).add(key)

    def _reindex_pod(self, key: Key, entry: Entry | None, new: Obj | None, old: Obj | None) -> None:
        """Keep the spec.nodeName index current; unscheduled pods are indexed under ""."""
        old_node = None if old is None else old.get("spec", {}).get("nodeName") or ""
        new_node = None if new is None else new.get("spec", {}).get("nodeName") or ""
        if old_node is not None and old_node != new_node:
            on_node = self.by_node.get(old_node, {})
            on_node.pop(key, None)
            if not on_node:
                self.by_node.pop(old_node, None)
        if new_node is not None and entry is not None:
            self.by_node.setdefault(new_node, {})[key] = entry

    def on_node(self, node_name: str) -> list[tuple[Key, Entry]]:
        """The pods bound to a node, sorted by namespace/name."""
        return sorted(self.by_node.get(node_name, {}).items())

    def dependents_of(self, owner_uid: str) -> list[Dependent]:
        """Every object with an ownerReference to `owner_uid`, sorted."""
        return sorted(self.dependents.get(owner_uid, ()))
