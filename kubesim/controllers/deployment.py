"""Deployment controller: ReplicaSets per template, revisions, rolling and recreate rollouts, status.

Follows kube-controller-manager's `pkg/controller/deployment` (kubernetes.md §3.1-§3.4): the new ReplicaSet
is the oldest controlled one whose template equals the Deployment's ignoring `pod-template-hash`, else
`<deployment>-<hash>` is created; revisions, revision-history, desired/max-replicas and copied annotations
are kept as the real controller keeps them; scaling events are spread proportionally; paused Deployments
only scale; Available and Progressing conditions carry the real reasons, including ProgressDeadlineExceeded.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import Batch, Key, WorkQueue, controller_key, has_controller, object_key
from kubesim.errors import ApiError
from kubesim.hashing import template_hash
from kubesim.podutil import (
    POD_TEMPLATE_HASH,
    annotations_of,
    controller_of,
    controller_reference,
    creation_key,
    is_controlled_by,
    is_terminal,
    meta,
    name_of,
    selects,
    templates_equal_ignoring_hash,
)
from kubesim.quantities import scaled_value
from kubesim.records import clone

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
NOT_COPIED = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
NO_DEADLINE = 2**31 - 1


def revision_of(rs: Obj) -> int:
    """The numeric revision annotation (0 when missing or malformed)."""
    try:
        return int(annotations_of(rs).get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(obj: Obj) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1))


def _status_int(obj: Obj, key: str) -> int:
    return int((obj.get("status") or {}).get(key) or 0)


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


class _Sync:
    """One reconcile of one Deployment, mirroring `syncDeployment` and the functions it calls."""

    def __init__(self, store: Store, deployment: Obj, now: float) -> None:
        self.store = store
        self.d = deployment
        self.now = now
        self.stamp = store.clock.timestamp(now)
        self.namespace = str(meta(deployment).get("namespace"))
        self.name = name_of(deployment)
        self.spec: Obj = deployment.get("spec") or {}
        self.replicas = _replicas(deployment)
        strategy = self.spec.get("strategy") or {}
        self.rolling = strategy.get("type", "RollingUpdate") != "Recreate"
        rolling = strategy.get("rollingUpdate") or {}
        surge = scaled_value(rolling.get("maxSurge"), self.replicas, round_up=True, default="25%")
        unavailable = scaled_value(
            rolling.get("maxUnavailable"), self.replicas, round_up=False, default="25%"
        )
        if surge == 0 and unavailable == 0:
            unavailable = 1
        self.max_surge = surge if self.rolling else 0
        self.max_unavailable = min(unavailable, self.replicas) if self.rolling and self.replicas else 0
        self.deadline = int(self.spec.get("progressDeadlineSeconds", 600))

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

    # ---- ReplicaSets -----------------------------------------------------------------------------------

    def _replica_sets(self) -> list[Obj]:
        """ReplicaSets controlled by this Deployment, adopting orphans its selector matches."""
        selector = self.spec.get("selector")
        found, _ = self.store.list("replicasets", self.namespace, copy=False)
        result = []
        for rs in found:
            if is_controlled_by(rs, self.d):
                result.append(clone(rs))
            elif (
                controller_of(rs) is None
                and selector
                and selects(selector, rs)
                and not meta(rs).get("deletionTimestamp")
            ):
                result.append(
                    self.store.mutate("replicasets", self.namespace, name_of(rs), self._add_owner_reference)
                )
        return result

    def _add_owner_reference(self, obj: Obj) -> None:
        obj["metadata"].setdefault("ownerReferences", []).append(controller_reference(self.d))

    def _find_new(self, rs_list: list[Obj]) -> Obj | None:
        template = self.spec.get("template") or {}
        for rs in sorted(rs_list, key=creation_key):
            if templates_equal_ignoring_hash((rs.get("spec") or {}).get("template") or {}, template):
                return rs
        return None

    def _split(self, rs_list: list[Obj], *, create: bool) -> tuple[Obj | None, list[Obj]]:
        """`getAllReplicaSetsAndSyncRevision`: (new RS or None, old RSs), syncing revisions."""
        new = self._find_new(rs_list)
        old = [rs for rs in rs_list if new is None or name_of(rs) != name_of(new)]
        new_revision = str(max((revision_of(rs) for rs in old), default=0) + 1)
        if new is not None:
            new = self.store.mutate(
                "replicasets", self.namespace, name_of(new), lambda rs: self._sync_new_rs(rs, new_revision)
            )
            self._set_revision(annotations_of(new).get(REVISION, new_revision))
            if self._condition("Progressing") is None and self.deadline != NO_DEADLINE:
                message = f'Found new replica set "{name_of(new)}"'
                self._update_status(lambda s: self._set_condition(s, "True", "FoundNewReplicaSet", message))
            return new, old
        if not create:
            return None, old
        return self._create_new(old, new_revision), old

    def _sync_new_rs(self, rs: Obj, new_revision: str) -> None:
        self._set_new_rs_annotations(rs, new_revision, exists=True)
        min_ready = self.spec.get("minReadySeconds")
        if (rs.get("spec") or {}).get("minReadySeconds") != min_ready:
            if min_ready is None:
                rs["spec"].pop("minReadySeconds", None)
            else:
                rs["spec"]["minReadySeconds"] = min_ready

    def _create_new(self, old: list[Obj], new_revision: str) -> Obj | None:
        collisions = (self.d.get("status") or {}).get("collisionCount")
        digest = template_hash(self.spec.get("template") or {}, collisions)
        template = copy.deepcopy(self.spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = digest
        selector = copy.deepcopy(self.spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = digest
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{self.name}-{digest}",
                "namespace": self.namespace,
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [controller_reference(self.d)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        if self.spec.get("minReadySeconds") is not None:
            rs["spec"]["minReadySeconds"] = self.spec["minReadySeconds"]
        rs["spec"]["replicas"] = self._new_rs_replicas([*old, rs], rs)
        self._set_new_rs_annotations(rs, new_revision, exists=False)
        try:
            created = self.store.create("replicasets", rs, namespace=self.namespace)
            if _replicas(created) > 0:
                self.store.events.record(
                    self.d,
                    reason="ScalingReplicaSet",
                    message=f"Scaled up replica set {name_of(created)} from 0 to {_replicas(created)}",
                    component="deployment-controller",
                )
        except ApiError as error:
            if error.code != 409:
                raise
            existing = self.store.get("replicasets", self.namespace, name_of(rs))
            if is_controlled_by(existing, self.d) and templates_equal_ignoring_hash(
                (existing.get("spec") or {}).get("template") or {}, self.spec.get("template") or {}
            ):
                return existing
            self._update_status(lambda s: s.__setitem__("collisionCount", int(collisions or 0) + 1))
            return None
        self._set_revision(new_revision)
        if self.deadline != NO_DEADLINE:
            message = f'Created new replica set "{name_of(created)}"'
            self._update_status(lambda s: self._set_condition(s, "True", "NewReplicaSetCreated", message))
        return created

    def _set_new_rs_annotations(self, rs: Obj, new_revision: str, *, exists: bool) -> None:
        """`SetNewReplicaSetAnnotations`: copy annotations, bump the revision and record the previous one."""
        annotations = rs.setdefault("metadata", {}).setdefault("annotations", {})
        for key, value in annotations_of(self.d).items():
            if key not in NOT_COPIED:
                annotations[key] = value
        old_revision = annotations.get(REVISION, "")
        try:
            old_number = int(old_revision) if old_revision else 0
        except ValueError:
            old_number = 0
        if old_number < int(new_revision):
            annotations[REVISION] = new_revision
            if old_revision:
                history = annotations.get(REVISION_HISTORY)
                annotations[REVISION_HISTORY] = f"{history},{old_revision}" if history else old_revision
        if not exists:
            annotations[DESIRED_REPLICAS] = str(self.replicas)
            annotations[MAX_REPLICAS] = str(self.replicas + self.max_surge)

    def _set_revision(self, revision: str) -> None:
        if annotations_of(self.d).get(REVISION) == revision:
            return

        def write(obj: Obj) -> None:
            obj["metadata"].setdefault("annotations", {})[REVISION] = revision

        self.d = self.store.mutate("deployments", self.namespace, self.name, write)

    def _new_rs_replicas(self, all_rss: list[Obj], new: Obj) -> int:
        """`NewRSNewReplicas`: how big the new RS may be right now."""
        if not self.rolling:
            return self.replicas
        current = sum(_replicas(rs) for rs in all_rss)
        max_total = self.replicas + self.max_surge
        if current >= max_total:
            return _replicas(new)
        scale_up = min(max_total - current, self.replicas - _replicas(new))
        return _replicas(new) + scale_up

    def _scale(self, rs: Obj, size: int) -> tuple[bool, Obj]:
        """Set spec.replicas and the desired/max-replicas annotations; True when the size changed."""
        desired, maximum = str(self.replicas), str(self.replicas + self.max_surge)
        annotations = annotations_of(rs)
        if (
            _replicas(rs) == size
            and annotations.get(DESIRED_REPLICAS) == desired
            and annotations.get(MAX_REPLICAS) == maximum
        ):
            return False, rs
        scaled = _replicas(rs) != size

        def write(obj: Obj) -> None:
            obj.setdefault("spec", {})["replicas"] = size
            notes = obj["metadata"].setdefault("annotations", {})
            notes[DESIRED_REPLICAS] = desired
            notes[MAX_REPLICAS] = maximum

        before = _replicas(rs)
        written = self.store.mutate("replicasets", self.namespace, name_of(rs), write)
        if scaled:
            way = "up" if size > before else "down"
            self.store.events.record(
                self.d,
                reason="ScalingReplicaSet",
                message=f"Scaled {way} replica set {name_of(rs)} from {before} to {size}",
                component="deployment-controller",
            )
        return scaled, written

    # ---- strategies ----------------------------------------------------------------------------------

    def _rollout_rolling(self, rs_list: list[Obj]) -> float | None:
        new, old = self._split(rs_list, create=True)
        all_rss = [*old, *([new] if new else [])]
        if new is not None and self._reconcile_new(all_rss, new):
            return self._sync_rollout_status(all_rss, new)
        if self._reconcile_old(all_rss, [rs for rs in old if _replicas(rs) > 0], new):
            return self._sync_rollout_status(all_rss, new)
        if self._complete(self._calculate_status(all_rss, new)):
            self._cleanup(old)
        return self._sync_rollout_status(all_rss, new)

    def _reconcile_new(self, all_rss: list[Obj], new: Obj) -> bool:
        if _replicas(new) == self.replicas:
            return False
        if _replicas(new) > self.replicas:
            return self._scale(new, self.replicas)[0]
        return self._scale(new, self._new_rs_replicas(all_rss, new))[0]

    def _reconcile_old(self, all_rss: list[Obj], old: list[Obj], new: Obj | None) -> bool:
        old_count = sum(_replicas(rs) for rs in old)
        if old_count == 0:
            return False
        all_count = sum(_replicas(rs) for rs in all_rss)
        min_available = self.replicas - self.max_unavailable
        new_unavailable = (_replicas(new) - _status_int(new, "availableReplicas")) if new else 0
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # Unhealthy old replicas go first.
        cleaned = 0
        remaining = []
        for rs in sorted(old, key=creation_key):
            if cleaned >= max_scaled_down or _replicas(rs) == 0:
                remaining.append(rs)
                continue
            unhealthy = _replicas(rs) - _status_int(rs, "availableReplicas")
            if unhealthy <= 0:
                remaining.append(rs)
                continue
            count = min(max_scaled_down - cleaned, unhealthy)
            cleaned += count
            remaining.append(self._scale(rs, _replicas(rs) - count)[1])
        all_rss = [*remaining, *([new] if new else [])]
        # Then healthy ones, oldest first, while enough stay available.
        available = sum(_status_int(rs, "availableReplicas") for rs in all_rss)
        scaled = 0
        if available > min_available:
            budget = available - min_available
            for rs in sorted(remaining, key=creation_key):
                if scaled >= budget:
                    break
                if _replicas(rs) == 0:
                    continue
                count = min(_replicas(rs), budget - scaled)
                self._scale(rs, _replicas(rs) - count)
                scaled += count
        return cleaned + scaled > 0

    def _rollout_recreate(self, rs_list: list[Obj]) -> float | None:
        new, old = self._split(rs_list, create=False)
        all_rss = [*old, *([new] if new else [])]
        scaled_down = False
        for rs in old:
            if _replicas(rs) > 0:
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
        if sum(_status_int(rs, "replicas") for rs in old) > 0:
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
            if _replicas(rs) <= 0:
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
        self._update_status(lambda s: _replace(s, status))

    def _proportional_scale(self, new: Obj | None, old: list[Obj]) -> None:
        active = [rs for rs in [*([new] if new else []), *old] if _replicas(rs) > 0]
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
                if _replicas(rs) > 0:
                    self._scale(rs, 0)
            return
        if not self.rolling:
            return
        allowed = self.replicas + self.max_surge if self.replicas > 0 else 0
        to_add = allowed - sum(_replicas(rs) for rs in active)
        newer_first = sorted(active, key=creation_key, reverse=to_add > 0)
        ordered = sorted(newer_first, key=lambda rs: -_replicas(rs))
        sizes: dict[str, int] = {}
        added = 0
        for rs in ordered:
            proportion = self._proportion(rs, to_add, added) if to_add else 0
            sizes[name_of(rs)] = _replicas(rs) + proportion
            added += proportion
        for index, rs in enumerate(ordered):
            if index == 0 and to_add:
                sizes[name_of(rs)] = max(0, sizes[name_of(rs)] + to_add - added)
            self._scale(rs, sizes[name_of(rs)])

    def _saturated(self, rs: Obj) -> bool:
        return (
            annotations_of(rs).get(DESIRED_REPLICAS) == str(self.replicas)
            and _replicas(rs) == self.replicas
            and _status_int(rs, "availableReplicas") == self.replicas
        )

    def _proportion(self, rs: Obj, to_add: int, added: int) -> int:
        if _replicas(rs) == 0 or to_add == added:
            return 0
        if self.replicas == 0:
            fraction = -_replicas(rs)
        else:
            try:
                annotated = int(annotations_of(rs)[MAX_REPLICAS])
            except (KeyError, ValueError):
                annotated = _status_int(self.d, "replicas")
            if annotated == 0:
                return 0
            fraction = _go_round(_replicas(rs) * (self.replicas + self.max_surge) / annotated) - _replicas(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    def _cleanup(self, old: list[Obj]) -> None:
        """Delete the oldest revisions beyond revisionHistoryLimit (only RSs that are scaled to zero)."""
        limit = int(self.spec.get("revisionHistoryLimit", 10))
        alive = [rs for rs in old if not meta(rs).get("deletionTimestamp")]
        surplus = len(alive) - limit
        if surplus <= 0:
            return
        for rs in sorted(alive, key=lambda r: (revision_of(r), creation_key(r)))[:surplus]:
            if _status_int(rs, "replicas") or _replicas(rs):
                continue
            if int(meta(rs).get("generation", 1)) > _status_int(rs, "observedGeneration"):
                continue
            with tolerate_races():
                self.store.delete("replicasets", self.namespace, name_of(rs))

    # ---- status --------------------------------------------------------------------------------------

    def _calculate_status(self, all_rss: list[Obj], new: Obj | None) -> Obj:
        available = sum(_status_int(rs, "availableReplicas") for rs in all_rss)
        total = sum(_replicas(rs) for rs in all_rss)
        status: Obj = {
            "observedGeneration": meta(self.d).get("generation", 1),
            "replicas": sum(_status_int(rs, "replicas") for rs in all_rss),
            "updatedReplicas": _status_int(new, "replicas") if new else 0,
            "readyReplicas": sum(_status_int(rs, "readyReplicas") for rs in all_rss),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
            "terminatingReplicas": sum(_status_int(rs, "terminatingReplicas") for rs in all_rss),
            "conditions": copy.deepcopy((self.d.get("status") or {}).get("conditions") or []),
        }
        collisions = (self.d.get("status") or {}).get("collisionCount")
        if collisions is not None:
            status["collisionCount"] = collisions
        if available >= self.replicas - self.max_unavailable:
            condition = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            condition = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        self._set_condition(status, *condition, kind="Available")
        return status

    def _complete(self, status: Obj) -> bool:
        """`DeploymentComplete`."""
        return bool(
            status["updatedReplicas"] == self.replicas
            and status["replicas"] == self.replicas
            and status["availableReplicas"] == self.replicas
            and int(status["observedGeneration"]) >= int(meta(self.d).get("generation", 1))
        )

    def _progressing(self, status: Obj) -> bool:
        """`DeploymentProgressing`: more updated/ready/available replicas, or fewer old ones."""
        old = self.d.get("status") or {}
        old_old = int(old.get("replicas") or 0) - int(old.get("updatedReplicas") or 0)
        new_old = status["replicas"] - status["updatedReplicas"]
        return bool(
            status["updatedReplicas"] > int(old.get("updatedReplicas") or 0)
            or new_old < old_old
            or status["readyReplicas"] > int(old.get("readyReplicas") or 0)
            or status["availableReplicas"] > int(old.get("availableReplicas") or 0)
        )

    def _sync_rollout_status(self, all_rss: list[Obj], new: Obj | None) -> float | None:
        """`syncRolloutStatus`: status plus the Progressing condition; returns when the deadline falls."""
        status = self._calculate_status(all_rss, new)
        if self.deadline == NO_DEADLINE:
            status["conditions"] = [c for c in status["conditions"] if c.get("type") != "Progressing"]
        current = _find(status, "Progressing")
        complete_before = (
            status["replicas"] == status["updatedReplicas"]
            and current is not None
            and current.get("reason") == "NewReplicaSetAvailable"
        )
        wake: float | None = None
        if self.deadline != NO_DEADLINE and not complete_before:
            rs_name = name_of(new) if new else ""
            if self._complete(status):
                message = f'ReplicaSet "{rs_name}" has successfully progressed.'
                self._set_condition(status, "True", "NewReplicaSetAvailable", message)
            elif self._progressing(status):
                message = (
                    f'ReplicaSet "{rs_name}" is progressing.'
                    if new
                    else f'Deployment "{self.name}" is progressing.'
                )
                transition = (
                    current.get("lastTransitionTime") if current and current.get("status") == "True" else None
                )
                status["conditions"] = [c for c in status["conditions"] if c.get("type") != "Progressing"]
                self._set_condition(status, "True", "ReplicaSetUpdated", message)
                if transition:
                    _find(status, "Progressing")["lastTransitionTime"] = transition  # type: ignore[index]
            elif self._timed_out(status):
                message = f'ReplicaSet "{rs_name}" has timed out progressing.'
                self._set_condition(status, "False", "ProgressDeadlineExceeded", message)
            condition = _find(status, "Progressing")
            if condition and condition.get("reason") not in (
                "NewReplicaSetAvailable",
                "ProgressDeadlineExceeded",
            ):
                wake = self.store.clock.parse(str(condition["lastUpdateTime"])) + self.deadline + 1
        self._update_status(lambda s: _replace(s, status))
        return wake

    def _timed_out(self, status: Obj) -> bool:
        condition = _find(status, "Progressing")
        if condition is None or condition.get("reason") == "NewReplicaSetAvailable":
            return False
        if condition.get("reason") == "ProgressDeadlineExceeded":
            return True
        since = self.store.clock.parse(str(condition.get("lastUpdateTime")))
        return since + self.deadline < self.now

    def _check_paused_conditions(self) -> None:
        if self.deadline == NO_DEADLINE:
            return
        condition = self._condition("Progressing")
        if condition is not None and condition.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_shown = condition is not None and condition.get("reason") == "DeploymentPaused"
        if self.spec.get("paused") and not paused_shown:
            self._update_status(
                lambda s: self._set_condition(s, "Unknown", "DeploymentPaused", "Deployment is paused")
            )
        elif not self.spec.get("paused") and paused_shown:
            self._update_status(
                lambda s: self._set_condition(s, "Unknown", "DeploymentResumed", "Deployment is resumed")
            )

    def _condition(self, kind: str) -> Obj | None:
        return _find(self.d.get("status") or {}, kind)

    def _set_condition(
        self, status: Obj, value: str, reason: str, message: str, *, kind: str = "Progressing"
    ) -> None:
        """`SetDeploymentCondition`: no-op for the same status and reason; keeps the transition time."""
        conditions: list[Obj] = status.setdefault("conditions", [])
        current = _find(status, kind)
        if current is not None and current.get("status") == value and current.get("reason") == reason:
            return
        condition = {
            "type": kind,
            "status": value,
            "lastUpdateTime": self.stamp,
            "lastTransitionTime": self.stamp,
            "reason": reason,
            "message": message,
        }
        if current is not None and current.get("status") == value:
            condition["lastTransitionTime"] = current.get("lastTransitionTime", self.stamp)
        status["conditions"] = [*[c for c in conditions if c.get("type") != kind], condition]

    def _update_status(self, fn: Any) -> None:
        def write(obj: Obj) -> None:
            fn(obj.setdefault("status", {}))

        self.d = self.store.mutate("deployments", self.namespace, self.name, write, subresource="status")


def _find(status: Obj, kind: str) -> Obj | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            result: Obj = condition
            return result
    return None


OMITTED_WHEN_ZERO = (
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
)
"""DeploymentStatus counts the API server leaves out at zero (``omitempty``)."""


def _replace(target: Obj, status: Obj) -> None:
    target.clear()
    target.update({k: v for k, v in copy.deepcopy(status).items() if not (k in OMITTED_WHEN_ZERO and v == 0)})
