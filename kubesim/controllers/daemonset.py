"""DaemonSet controller: one pod per eligible node, rolling template updates, and the DaemonSet status.

A node is eligible when it matches the template's nodeSelector and its NoSchedule/NoExecute taints are
tolerated; DaemonSet pods also tolerate cordoning (the unschedulable taint), as the real controller adds
that toleration. Pods are bound directly to their node. Template changes replace outdated pods at most
`maxUnavailable` (default 1) unavailable nodes at a time; `OnDelete` waits for the pods to be deleted.
A pass looks at the DaemonSets written or whose pods were written, and at every DaemonSet after a node write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.replicaset import available_at, is_available, pods_from_template
from kubesim.controllers.revisions import ensure_revision
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, controller_key, object_key
from kubesim.hashing import template_hash
from kubesim.podutil import (
    UNSCHEDULABLE_TAINT,
    blocking_taints,
    creation_key,
    is_active,
    is_controlled_by,
    is_ready,
    labels_of,
    meta,
    name_of,
    node_selector_matches,
)
from kubesim.quantities import scaled_value

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": UNSCHEDULABLE_TAINT, "operator": "Exists", "effect": "NoSchedule"},
]


def daemon_pod_spec(template: Obj) -> Obj:
    """The template's pod spec plus the tolerations every DaemonSet pod gets."""
    spec = dict(template.get("spec") or {})
    tolerations = list(spec.get("tolerations") or [])
    for toleration in DAEMON_TOLERATIONS:
        if toleration not in tolerations:
            tolerations.append(toleration)
    spec["tolerations"] = tolerations
    return spec


def should_run(template: Obj, node: Obj) -> bool:
    """True when a daemon pod belongs on this node."""
    spec = daemon_pod_spec(template)
    return node_selector_matches(spec, node) and not blocking_taints(node, spec["tolerations"])


class DaemonSetController:
    """Keeps exactly one up-to-date pod of every DaemonSet on each eligible node."""

    name = "daemonset"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[Key] = WorkQueue()
        self.nodes: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """DaemonSets written and the controllers of pods written are queued; a node written concerns
        every DaemonSet."""
        if resource == "daemonsets":
            self.queue.add(object_key(obj))
        elif resource == "pods":
            owner = controller_key(obj, "DaemonSet")
            if owner is not None:
                self.queue.add(owner)
        elif resource == "nodes":
            self.nodes.add(name_of(obj))

    def sync(self, now: float) -> float | None:
        """Reconcile every DaemonSet that changed, or all of them when a node changed."""
        batch = self.queue.take(now)
        node_batch = self.nodes.take(now)
        try:
            self._sync(batch, everything=batch.everything or bool(node_batch), now=now)
        except BaseException:
            self.queue.requeue(batch)
            self.nodes.requeue(node_batch)
            raise
        return None

    def _sync(self, batch: Batch[Key], *, everything: bool, now: float) -> None:
        if everything:
            daemonsets = self.store.list("daemonsets", copy=False)[0]
        else:
            found = (peek_or_none(self.store, "daemonsets", ns, name) for ns, name in sorted(batch.keys))
            daemonsets = [ds for ds in found if ds is not None]
        if not daemonsets:
            return
        nodes = sorted(self.store.list("nodes", copy=False)[0], key=name_of)
        for ds in daemonsets:
            if meta(ds).get("deletionTimestamp"):
                continue
            with tolerate_races():
                self._manage(ds, nodes, now)
                self.queue.wake_at(object_key(ds), self._update_status(ds, nodes, now))

    def _pods_by_node(self, ds: Obj) -> dict[str, list[Obj]]:
        namespace = meta(ds).get("namespace")
        result: dict[str, list[Obj]] = {}
        for pod in self.store.owned_by(str(meta(ds).get("uid")), "pods", copy=False):
            if meta(pod).get("namespace") == namespace and is_controlled_by(pod, ds):
                result.setdefault(str((pod.get("spec") or {}).get("nodeName") or ""), []).append(pod)
        return result

    def _manage(self, ds: Obj, nodes: list[Obj], now: float) -> None:
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        revision = template_hash(template)
        with tolerate_races():
            ensure_revision(self.store, ds, revision)
        namespace = meta(ds).get("namespace")
        by_node = self._pods_by_node(ds)
        node_names = {name_of(n) for n in nodes}
        for node_name, pods in by_node.items():
            if node_name not in node_names:
                for pod in pods:
                    if is_active(pod):
                        self.store.delete("pods", namespace, name_of(pod))
        outdated = []
        for node in nodes:
            pods = [p for p in by_node.get(name_of(node), []) if is_active(p)]
            terminating = len(by_node.get(name_of(node), [])) > len(pods)
            if should_run(template, node):
                if not pods and not terminating:
                    pod = pods_from_template(ds, template)
                    pod["metadata"]["labels"][REVISION_LABEL] = revision
                    pod["spec"] = {**daemon_pod_spec(template), "nodeName": name_of(node)}
                    self.store.create("pods", pod, namespace=namespace)
                for extra in sorted(pods, key=creation_key)[1:]:
                    self.store.delete("pods", namespace, name_of(extra))
                if pods and labels_of(pods[0]).get(REVISION_LABEL) != revision:
                    outdated.append(pods[0])
            else:
                for pod in pods:
                    self.store.delete("pods", namespace, name_of(pod))
        self._roll(ds, outdated, nodes, now)

    def _roll(self, ds: Obj, outdated: list[Obj], nodes: list[Obj], now: float) -> None:
        """Delete outdated pods while no more than maxUnavailable nodes lack an available pod."""
        strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
        if not outdated or strategy.get("type") == "OnDelete":
            return
        template = (ds.get("spec") or {}).get("template") or {}
        eligible = [n for n in nodes if should_run(template, n)]
        rolling = strategy.get("rollingUpdate") or {}
        budget = max(1, scaled_value(rolling.get("maxUnavailable"), len(eligible), round_up=True, default=1))
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        by_node = self._pods_by_node(ds)
        unavailable = sum(
            1
            for n in eligible
            if not any(
                is_active(p) and is_available(p, min_ready, now, self.store.clock.parse)
                for p in by_node.get(name_of(n), [])
            )
        )
        for pod in sorted(outdated, key=lambda p: (not is_ready(p), creation_key(p)), reverse=True):
            if unavailable >= budget and is_ready(pod):
                break
            self.store.delete("pods", meta(ds).get("namespace"), name_of(pod))
            if is_ready(pod):
                unavailable += 1

    def _update_status(self, ds: Obj, nodes: list[Obj], now: float) -> float | None:
        """Write the status; returns when a Ready pod next becomes available (picked up by the background
        thread's ticks, not reported as a wake-up)."""
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        revision = template_hash(template)
        min_ready = int(spec.get("minReadySeconds") or 0)
        by_node = self._pods_by_node(ds)
        desired = scheduled = misscheduled = ready = available = updated = 0
        due: float | None = None
        for node in nodes:
            pods = sorted((p for p in by_node.get(name_of(node), []) if is_active(p)), key=creation_key)
            if should_run(template, node):
                desired += 1
                if pods:
                    at = available_at(pods[0], min_ready, self.store.clock.parse)
                    if at is not None and at > now:
                        due = at if due is None else min(due, at)
                    scheduled += 1
                    ready += is_ready(pods[0])
                    available += is_available(pods[0], min_ready, now, self.store.clock.parse)
                    updated += labels_of(pods[0]).get(REVISION_LABEL) == revision
            elif pods:
                misscheduled += 1
        status = {
            "currentNumberScheduled": scheduled,
            "desiredNumberScheduled": desired,
            "numberMisscheduled": misscheduled,
            "numberReady": ready,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
            "updatedNumberScheduled": updated,
            "observedGeneration": meta(ds).get("generation", 1),
        }

        def write(obj: Obj) -> None:
            obj["status"] = status

        self.store.mutate("daemonsets", meta(ds).get("namespace"), name_of(ds), write, subresource="status")
        return due
