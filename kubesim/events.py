"""Events: what controllers, the scheduler and the kubelets report about objects, stored as core/v1
Events and served in both ``v1`` and ``events.k8s.io/v1`` (one object, two shapes, as kube-apiserver
converts between them).

`record` is the EventRecorder of client-go: an event is named ``<object>.<hex time>`` in the object's
namespace (``default`` for cluster-scoped objects); the same report again bumps its ``count``; more
than ten reports of one reason about one object within ten minutes are combined into one event
("(combined from similar events): ...") as the EventCorrelator does. A write the API refuses (a
namespace being terminated) is dropped, as a recorder drops it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kubesim.errors import ApiError

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

SIMILAR_LIMIT = 10
"""Reports of one reason about one object before the correlator combines them (client-go's maxEvents)."""
SIMILAR_WINDOW = 600.0
"""Seconds within which similar reports are combined."""
_COMBINED = "(combined from similar events): "


def reference(obj: Obj) -> Obj:
    """The ObjectReference of an object (involvedObject / regarding)."""
    meta = obj["metadata"]
    ref: Obj = {"kind": obj.get("kind", ""), "namespace": meta.get("namespace"), "name": meta["name"]}
    ref.update(
        uid=meta.get("uid"), apiVersion=obj.get("apiVersion"), resourceVersion=meta.get("resourceVersion")
    )
    return {k: v for k, v in ref.items() if v}


class Recorder:
    """Writes Events for one store, remembering what it wrote so that repeats are counted, not copied."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._written: dict[tuple[str, str, str, str], str] = {}
        self._similar: dict[tuple[str, str, str], list[float]] = {}

    def record(
        self,
        obj: Obj,
        *,
        reason: str,
        message: str,
        component: str,
        kind: str = "Normal",
        host: str | None = None,
        action: str | None = None,
    ) -> None:
        """Report `reason` about `obj`, from `component` (on node `host`, for a kubelet). With an
        `action`, the report is written as an events.k8s.io/v1 recorder writes it (the scheduler's)."""
        ref = reference(obj)
        namespace = ref.get("namespace") or "default"
        now = self.store.clock.now()
        about = (str(ref.get("uid", "")), reason, component)
        similar = [t for t in self._similar.get(about, []) if now - t < SIMILAR_WINDOW] + [now]
        self._similar[about] = similar
        if len(similar) > SIMILAR_LIMIT:
            message = _COMBINED + message
        key = (*about, _COMBINED if len(similar) > SIMILAR_LIMIT else message)
        try:
            if key in self._written and self._bump(namespace, self._written[key], message):
                return
            name = f"{ref['name']}.{time.time_ns():x}"
            event = self._event(
                ref, name=name, reason=reason, message=message, component=component, kind=kind
            )
            if host:
                event["source"]["host"] = host
            if action:
                del event["count"]
                event.update(self._native(action, host or component))
            self.store.create("events", event, namespace=namespace)
            self._written[key] = name
        except ApiError:
            return

    def _event(self, ref: Obj, *, name: str, reason: str, message: str, component: str, kind: str) -> Obj:
        stamp = self.store.clock.timestamp()
        return {
            "metadata": {"name": name},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": kind,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }

    def _native(self, action: str, instance: str) -> Obj:
        """The fields an events.k8s.io/v1 recorder sets instead of the deprecated ones."""
        micro = self.store.clock.micro_timestamp()
        return {
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": micro,
            "action": action,
            "reportingInstance": instance,
        }

    def _bump(self, namespace: str, name: str, message: str) -> bool:
        """Count one more of an event already written; False when it is gone."""
        stamp = self.store.clock.timestamp()

        def bump(event: Obj) -> None:
            event["count"] = int(event.get("count") or 1) + 1
            event["lastTimestamp"] = stamp
            event["message"] = message

        try:
            self.store.mutate("events", namespace, name, bump)
        except ApiError as error:
            if error.code == 404:
                return False
            raise
        return True


# ---- events.k8s.io/v1 ---------------------------------------------------------------------------------------

_TO_EVENTS_V1 = (
    ("eventTime", "eventTime"),
    ("series", "series"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
    ("action", "action"),
    ("reason", "reason"),
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("message", "note"),
    ("type", "type"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
"""core/v1 field → events.k8s.io/v1 field, in the order the server writes the latter."""
_ALWAYS: Obj = {"eventTime": None, "source": {}, "firstTimestamp": None, "lastTimestamp": None}
"""Fields events.k8s.io/v1 writes even when empty (null times, an empty source)."""


def to_events_v1(event: Obj) -> Obj:
    """A core/v1 Event as events.k8s.io/v1 shows it."""
    converted: Obj = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": event["metadata"]}
    for core, new in _TO_EVENTS_V1:
        value = event.get(core)
        if value or core in _ALWAYS:
            converted[new] = value if value else _ALWAYS.get(core)
    return converted


def from_events_v1(event: Obj) -> Obj:
    """An events.k8s.io/v1 Event (a client's create) as the core/v1 Event stored."""
    converted: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": event.get("metadata") or {}}
    for core, new in _TO_EVENTS_V1:
        if new in event:
            converted[core] = event[new]
    return converted
