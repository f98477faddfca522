"""Deployment controller: ReplicaSets per template, revisions, rolling and recreate rollouts, status.

Follows kube-controller-manager's `pkg/controller/deployment` (kubernetes.md §3.1-§3.4): the new ReplicaSet
is the oldest controlled one whose template equals the Deployment's ignoring `pod-template-hash`, else
`<deployment>-<hash>` is created; revisions, revision-history, desired/max-replicas and copied annotations
are kept as the real controller keeps them; scaling events are spread proportionally; paused Deployments
only scale; Available and Progressing conditions carry the real reasons, including ProgressDeadlineExceeded.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.deploymentreplicasets import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    REVISION,
    REVISION_HISTORY,
    ReplicaSetSync,
    revision_of,
)
from kubesim.controllers.deploymentstatus import replace_status, replicas_of, status_int
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, controller_key, has_controller, object_key
from kubesim.podutil import (
    annotations_of,
    controller_of,
    creation_key,
    is_controlled_by,
    is_terminal,
    meta,
    name_of,
)

if TYPE_CHECKING:
    from kubesim.store import Store

__all__ = [
    "DESIRED_REPLICAS",
    "MAX_REPLICAS",
    "REVISION",
    "REVISION_HISTORY",
    "DeploymentController",
    "revision_of",
]

Obj = dict[str, Any]


def _go_round(value: float) -> int:
    """math.Round: halves away from zero."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


class DeploymentController:
    """Runs one `_Sync` per changed Deployment per pass.

    A Deployment is reconciled again when it is written, when one of its ReplicaSets (or a pod of one) is
    written, when an orphan ReplicaSet appears in its namespace, or when its progress deadline falls due.
    """

    name = "deployment"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[Key] = WorkQueue()
        self.replicasets: WorkQueue[Key] = WorkQueue()
        self.namespaces: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: Obj) -> None:
        """Queue the Deployments a write may concern."""
        if resource == "deployments":
            self.queue.add(object_key(obj))
        elif resource == "replicasets":
            owner = controller_key(obj, "Deployment")
            if owner is not None:
                self.queue.add(owner)
            elif not has_controller(obj):
                self.namespaces.add(object_key(obj)[0])
        elif resource == "pods":
            replicaset = controller_key(obj, "ReplicaSet")
            if replicaset is not None:
                self.replicasets.add(replicaset)

    def sync(self, now: float) -> float | None:
        """Reconcile every changed Deployment; returns the earliest progress deadline still running."""
        batch = self.queue.take(now)
        rs_batch = self.replicasets.take(now)
        ns_batch = self.namespaces.take(now)
        try:
            self._sync(batch, rs_batch, ns_batch, now)
        except BaseException:
            self.queue.requeue(batch)
            self.replicasets.requeue(rs_batch)
            self.namespaces.requeue(ns_batch)
            raise
        return self.queue.next_wake()

    def _sync(self, batch: Batch[Key], rs_batch: Batch[Key], ns_batch: Batch[str], now: float) -> None:
        if batch.everything:
            deployments = self.store.list("deployments")[0]
        else:
            keys = set(batch.keys)
            for namespace, name in rs_batch.keys:
                rs = peek_or_none(self.store, "replicasets", namespace, name)
                owner = None if rs is None else controller_key(rs, "Deployment")
                if owner is not None:
                    keys.add(owner)
            for namespace in ns_batch.keys:
                keys.update(object_key(d) for d in self.store.list("deployments", namespace, copy=False)[0])
            found = (self.store.find("deployments", ns or None, name) for ns, name in sorted(keys))
            deployments = [d for d in found if d is not None]
        for deployment in deployments:
            key = object_key(deployment)
            if meta(deployment).get("deletionTimestamp"):
                self.queue.wake_at(key, None)
                continue
            with tolerate_races():
                self.queue.wake_at(key, _Sync(self.store, deployment, now).run())


class _Sync(ReplicaSetSync):
    """One reconcile of one Deployment, mirroring `syncDeployment` and the functions it calls."""

    # ---- entry point ---------------------------------------------------------------------------------

    def run(self) -> float | None:
        rs_list = self._replica_sets()
        self._check_paused_conditions()
        if self.spec.get("paused") or self._is_scaling_event(rs_list):
            self._sync_scale(rs_list)
            return None
        if self.rolling:
            return self._rollout_rolling(rs_list)
        return self._rollout_recreate(rs_list)

    # ---- strategies ----------------------------------------------------------------------------------

    def _rollout_rolling(self, rs_list: list[Obj]) -> float | None:
        new, old = self._split(rs_list, create=True)
        all_rss = [*old, *([new] if new else [])]
        if new is not None and self._reconcile_new(all_rss, new):
            return self._sync_rollout_status(all_rss, new)
        if self._reconcile_old(all_rss, [rs for rs in old if replicas_of(rs) > 0], new):
            return self._sync_rollout_status(all_rss, new)
        if self._complete(self._calculate_status(all_rss, new)):
            self._cleanup(old)
        return self._sync_rollout_status(all_rss, new)

    def _reconcile_new(self, all_rss: list[Obj], new: Obj) -> bool:
        if replicas_of(new) == self.replicas:
            return False
        if replicas_of(new) > self.replicas:
            return self._scale(new, self.replicas)[0]
        return self._scale(new, self._new_rs_replicas(all_rss, new))[0]

    def _reconcile_old(self, all_rss: list[Obj], old: list[Obj], new: Obj | None) -> bool:
        old_count = sum(replicas_of(rs) for rs in old)
        if old_count == 0:
            return False
        all_count = sum(replicas_of(rs) for rs in all_rss)
        min_available = self.replicas - self.max_unavailable
        new_unavailable = (replicas_of(new) - status_int(new, "availableReplicas")) if new else 0
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # Unhealthy old replicas go first.
        cleaned = 0
        remaining = []
        for rs in sorted(old, key=creation_key):
            if cleaned >= max_scaled_down or replicas_of(rs) == 0:
                remaining.append(rs)
                continue
            unhealthy = replicas_of(rs) - status_int(rs, "availableReplicas")
            if unhealthy <= 0:
                remaining.append(rs)
                continue
            count = min(max_scaled_down - cleaned, unhealthy)
            cleaned += count
            remaining.append(self._scale(rs, replicas_of(rs) - count)[1])
        all_rss = [*remaining, *([new] if new else [])]
        # Then healthy ones, oldest first, while enough stay available.
        available = sum(status_int(rs, "availableReplicas") for rs in all_rss)
        scaled = 0
        if available > min_available:
            budget = available - min_available
            for rs in sorted(remaining, key=creation_key):
                if scaled >= budget:
                    break
                if replicas_of(rs) == 0:
                    continue
                count = min(replicas_of(rs), budget - scaled)
                self._scale(rs, replicas_of(rs) - count)
                scaled += count
        return cleaned + scaled > 0

    def _rollout_recreate(self, rs_list: list[Obj]) -> float | None:
        new, old = self._split(rs_list, create=False)
        all_rss = [*old, *([new] if new else [])]
        scaled_down = False
        for rs in old:
            if replicas_of(rs) > 0:
                scaled_down = self._scale(rs, 0)[0] or scaled_down
        if scaled_down or self._old_pods_running(new, old):
            return self._sync_rollout_status(all_rss, new)
        if new is None:
            new, old = self._split(self._replica_sets(), create=True)
            all_rss = [*old, *([new] if new else [])]
        if new is not None:
            self._scale(new, self.replicas)
        if self._complete(self._calculate_status(all_rss, new)):
            self._cleanup(old)
        return self._sync_rollout_status(all_rss, new)

    def _old_pods_running(self, new: Obj | None, old: list[Obj]) -> bool:
        if sum(status_int(rs, "replicas") for rs in old) > 0:
            return True
        for rs in old:
            uid = meta(rs).get("uid")
            for pod in self.store.owned_by(str(uid), "pods", copy=False):
                ref = controller_of(pod)
                if (
                    ref is not None
                    and ref.get("uid") == uid
                    and meta(pod).get("namespace") == self.namespace
                    and not is_terminal(pod)
                    and (new is None or not is_controlled_by(pod, new))
                ):
                    return True
        return False

    # ---- scaling without a rollout ---------------------------------------------------------------------

    def _is_scaling_event(self, rs_list: list[Obj]) -> bool:
        new, old = self._split(rs_list, create=False)
        for rs in [*old, *([new] if new else [])]:
            if replicas_of(rs) <= 0:
                continue
            desired = annotations_of(rs).get(DESIRED_REPLICAS)
            if desired is not None and desired != str(self.replicas):
                return True
        return False

    def _sync_scale(self, rs_list: list[Obj]) -> None:
        """`sync`: scale proportionally, clean up when paused, update status (no rollout)."""
        new, old = self._split(self._replica_sets(), create=False)
        self._proportional_scale(new, old)
        if self.spec.get("paused"):
            self._cleanup(old)
        new, old = self._split(self._replica_sets(), create=False)
        status = self._calculate_status([*old, *([new] if new else [])], new)
        self._update_status(lambda s: replace_status(s, status))

    def _proportional_scale(self, new: Obj | None, old: list[Obj]) -> None:
        active = [rs for rs in [*([new] if new else []), *old] if replicas_of(rs) > 0]
        if len(active) <= 1:
            if active:
                target = active[0]
            elif new is not None:
                target = new
            elif old:
                target = max(old, key=creation_key)
            else:
                return
            self._scale(target, self.replicas)
            return
        if new is not None and self._saturated(new):
            for rs in old:
                if replicas_of(rs) > 0:
                    self._scale(rs, 0)
            return
        if not self.rolling:
            return
        allowed = self.replicas + self.max_surge if self.replicas > 0 else 0
        to_add = allowed - sum(replicas_of(rs) for rs in active)
        newer_first = sorted(active, key=creation_key, reverse=to_add > 0)
        ordered = sorted(newer_first, key=lambda rs: -replicas_of(rs))
        sizes: dict[str, int] = {}
        added = 0
        for rs in ordered:
            proportion = self._proportion(rs, to_add, added) if to_add else 0
            sizes[name_of(rs)] = replicas_of(rs) + proportion
            added += proportion
        for index, rs in enumerate(ordered):
            if index == 0 and to_add:
                sizes[name_of(rs)] = max(0, sizes[name_of(rs)] + to_add - added)
            self._scale(rs, sizes[name_of(rs)])

    def _saturated(self, rs: Obj) -> bool:
        return (
            annotations_of(rs).get(DESIRED_REPLICAS) == str(self.replicas)
            and replicas_of(rs) == self.replicas
            and status_int(rs, "availableReplicas") == self.replicas
        )

    def _proportion(self, rs: Obj, to_add: int, added: int) -> int:
        if replicas_of(rs) == 0 or to_add == added:
            return 0
        if self.replicas == 0:
            fraction = -replicas_of(rs)
        else:
            try:
                annotated = int(annotations_of(rs)[MAX_REPLICAS])
            except (KeyError, ValueError):
                annotated = status_int(self.d, "replicas")
            if annotated == 0:
                return 0
            fraction = _go_round(
                replicas_of(rs) * (self.replicas + self.max_surge) / annotated
            ) - replicas_of(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)
