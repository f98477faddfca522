"""The ReplicaSets of a Deployment: adoption, the new one found or created (`<deployment>-<hash>`), the
revision annotations kept as the real controller keeps them, scaling one of them, and the old ones cleaned
up beyond `revisionHistoryLimit`.
"""

from __future__ import annotations

import copy
from typing import Any

from kubesim.controllers.base import tolerate_races
from kubesim.controllers.deploymentstatus import NO_DEADLINE, StatusSync, replicas_of, status_int
from kubesim.errors import ApiError
from kubesim.hashing import template_hash
from kubesim.podutil import (
    POD_TEMPLATE_HASH,
    annotations_of,
    controller_of,
    controller_reference,
    creation_key,
    is_controlled_by,
    meta,
    name_of,
    selects,
    templates_equal_ignoring_hash,
)
from kubesim.records import clone

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


def revision_of(rs: Obj) -> int:
    """The numeric revision annotation (0 when missing or malformed)."""
    try:
        return int(annotations_of(rs).get(REVISION, "0"))
    except ValueError:
        return 0


class ReplicaSetSync(StatusSync):
    """The ReplicaSet half of one reconcile (`getAllReplicaSetsAndSyncRevision`, `scaleReplicaSet`, cleanup)."""

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
            if replicas_of(created) > 0:
                self.store.events.record(
                    self.d,
                    reason="ScalingReplicaSet",
                    message=f"Scaled up replica set {name_of(created)} from 0 to {replicas_of(created)}",
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
        current = sum(replicas_of(rs) for rs in all_rss)
        max_total = self.replicas + self.max_surge
        if current >= max_total:
            return replicas_of(new)
        scale_up = min(max_total - current, self.replicas - replicas_of(new))
        return replicas_of(new) + scale_up

    def _scale(self, rs: Obj, size: int) -> tuple[bool, Obj]:
        """Set spec.replicas and the desired/max-replicas annotations; True when the size changed."""
        desired, maximum = str(self.replicas), str(self.replicas + self.max_surge)
        annotations = annotations_of(rs)
        if (
            replicas_of(rs) == size
            and annotations.get(DESIRED_REPLICAS) == desired
            and annotations.get(MAX_REPLICAS) == maximum
        ):
            return False, rs
        scaled = replicas_of(rs) != size

        def write(obj: Obj) -> None:
            obj.setdefault("spec", {})["replicas"] = size
            notes = obj["metadata"].setdefault("annotations", {})
            notes[DESIRED_REPLICAS] = desired
            notes[MAX_REPLICAS] = maximum

        before = replicas_of(rs)
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

    def _cleanup(self, old: list[Obj]) -> None:
        """Delete the oldest revisions beyond revisionHistoryLimit (only RSs that are scaled to zero)."""
        limit = int(self.spec.get("revisionHistoryLimit", 10))
        alive = [rs for rs in old if not meta(rs).get("deletionTimestamp")]
        surplus = len(alive) - limit
        if surplus <= 0:
            return
        for rs in sorted(alive, key=lambda r: (revision_of(r), creation_key(r)))[:surplus]:
            if status_int(rs, "replicas") or replicas_of(rs):
                continue
            if int(meta(rs).get("generation", 1)) > status_int(rs, "observedGeneration"):
                continue
            with tolerate_races():
                self.store.delete("replicasets", self.namespace, name_of(rs))
