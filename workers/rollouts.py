"""kubectl's rollout rules as pure functions on Deployment and ReplicaSet JSON.

- which ReplicaSets belong to a Deployment and their revisions (``deployment.kubernetes.io/revision``);
- ``rollout undo``: the revision to go to (the second-highest by default), the "already matches" check
  (templates equal ignoring ``pod-template-hash``, empty and missing treated alike as Go's semantic
  equality does) and the JSON Patch kubectl sends;
- ``rollout history`` rows;
- ``rollout status``: the message for a Deployment's current status, and whether it is done or failed.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
ANNOTATIONS_TO_SKIP = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
"""Annotations a rollback keeps from the Deployment rather than taking from the ReplicaSet."""

Obj = Mapping[str, Any]


class RolloutError(Exception):
    """A rollout rule refuses (kubectl's error text is the message)."""


def revision_of(obj: Obj) -> int:
    """The revision annotation as a number (0 when absent, as kubectl reads it)."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return -1


def owned_replicasets(deployment: Obj, replicasets: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ReplicaSets whose controller owner is this Deployment (by UID)."""
    uid = (deployment.get("metadata") or {}).get("uid")
    return [
        rs
        for rs in replicasets
        if any(
            owner.get("controller") and owner.get("uid") == uid
            for owner in (rs.get("metadata") or {}).get("ownerReferences") or []
        )
    ]


def normalised(value: Any) -> Any:
    """Drop nulls and empty maps/lists, which Go's semantic equality treats as absent."""
    if isinstance(value, Mapping):
        cleaned = {k: normalised(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    return value


def without_hash(template: Obj) -> dict[str, Any]:
    """A pod template with the ``pod-template-hash`` label removed (a deep copy)."""
    result: dict[str, Any] = copy.deepcopy(dict(template))
    labels = (result.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return result


def templates_equal(left: Obj, right: Obj) -> bool:
    """kubectl's ``EqualIgnoreHash``."""
    return bool(normalised(without_hash(left)) == normalised(without_hash(right)))


def choose_revision(replicasets: Sequence[Obj], to_revision: int, *, deployment_name: str) -> Obj:
    """The ReplicaSet ``rollout undo`` goes to: ``to_revision``, or with 0 the second-highest revision."""
    latest: tuple[int, Obj | None] = (-1, None)
    previous: tuple[int, Obj | None] = (-1, None)
    for rs in replicasets:
        revision = revision_of(rs)
        if revision < 0:
            continue
        if to_revision == 0:
            if latest[0] < revision:
                previous, latest = latest, (revision, rs)
            elif previous[0] < revision:
                previous = (revision, rs)
        elif revision == to_revision:
            return rs
    if to_revision > 0:
        raise RolloutError(f"unable to find specified revision {to_revision} in history")
    if previous[1] is None:
        raise RolloutError(f'no rollout history found for deployment "{deployment_name}"')
    return previous[1]


def undo_patch(deployment: Obj, replicaset: Obj) -> list[dict[str, Any]]:
    """kubectl's JSON Patch restoring the ReplicaSet's template and annotations."""
    deployment_annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    annotations = {k: v for k, v in deployment_annotations.items() if k in ANNOTATIONS_TO_SKIP}
    for key, value in ((replicaset.get("metadata") or {}).get("annotations") or {}).items():
        if key not in ANNOTATIONS_TO_SKIP:
            annotations[key] = value
    template = without_hash((replicaset.get("spec") or {}).get("template") or {})
    return [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]


def images(template: Obj) -> dict[str, str]:
    """Container name → image of a pod template."""
    containers = (template.get("spec") or {}).get("containers") or []
    return {str(c.get("name")): str(c.get("image")) for c in containers}


def template_changes(current: Obj, target: Obj) -> list[str]:
    """Readable differences between two pod templates: images first, then anything else."""
    changes = []
    now, then = images(current), images(target)
    for name in sorted(set(now) | set(then)):
        if now.get(name) != then.get(name):
            changes.append(f"container {name}: {now.get(name, '(none)')} → {then.get(name, '(none)')}")
    rest_now, rest_then = normalised(without_hash(current)), normalised(without_hash(target))
    for side in (rest_now, rest_then):
        for container in (side.get("spec") or {}).get("containers") or []:
            container.pop("image", None)
    if rest_now != rest_then:
        changes.append("other pod template fields differ (labels, annotations, env, resources...)")
    return changes


def history_rows(replicasets: Iterable[Obj]) -> list[tuple[int, str]]:
    """``rollout history``: (revision, change-cause or ``<none>``), by revision."""
    rows: dict[int, str] = {}
    for rs in replicasets:
        annotations = (rs.get("metadata") or {}).get("annotations") or {}
        rows[revision_of(rs)] = str(annotations.get(CHANGE_CAUSE) or "<none>")
    return sorted(rows.items())


@dataclasses.dataclass(frozen=True)
class RolloutStatus:
    """One reading of ``rollout status``."""

    kind: str
    """``waiting-spec``, ``updated``, ``old-pending``, ``available``, ``done`` or ``deadline``."""
    numbers: tuple[int, ...] = ()

    @property
    def done(self) -> bool:
        """The rollout completed."""
        return self.kind == "done"

    @property
    def failed(self) -> bool:
        """The rollout exceeded its progress deadline."""
        return self.kind == "deadline"


def rollout_status(deployment: Obj) -> RolloutStatus:
    """kubectl's ``DeploymentStatusViewer`` rules, in its order."""
    meta, spec, status = (
        deployment.get("metadata") or {},
        deployment.get("spec") or {},
        deployment.get("status") or {},
    )
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return RolloutStatus("waiting-spec")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return RolloutStatus("deadline")
    replicas = spec.get("replicas")
    updated = int(status.get("updatedReplicas") or 0)
    current = int(status.get("replicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    if replicas is not None and updated < int(replicas):
        return RolloutStatus("updated", (updated, int(replicas)))
    if current > updated:
        return RolloutStatus("old-pending", (current - updated,))
    if available < updated:
        return RolloutStatus("available", (available, updated))
    return RolloutStatus("done")
