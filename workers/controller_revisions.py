"""kubectl's rollout rules for DaemonSets and StatefulSets, as pure functions on their JSON and on the
ControllerRevisions their controllers write (one per pod template rolled out, numbered ``revision``).

- which ControllerRevisions belong to a workload (listed by its selector, kept if it controls them);
- ``rollout undo``: the revision to go to (the second-highest by default; ``no last revision to roll
  back to`` with a single one), the "already matches" check and the patch: the revision's ``data``
  itself, a strategic merge patch replacing ``spec.template`` (``$patch: replace``);
- ``rollout history`` rows (revision, ``kubernetes.io/change-cause``);
- ``rollout status``: ``DaemonSetStatusViewer`` and ``StatefulSetStatusViewer``, in their order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workers.rollouts import CHANGE_CAUSE, RolloutError, normalised

Obj = Mapping[str, Any]

DAEMONSET = "daemonset"
STATEFULSET = "statefulset"
ROLLING_UPDATE = "RollingUpdate"


def revision_number(revision: Obj) -> int:
    """A ControllerRevision's ``revision`` (0 when absent)."""
    try:
        return int(revision.get("revision") or 0)
    except (TypeError, ValueError):
        return 0


def owned(owner: Obj, revisions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The revisions whose controller owner is ``owner`` (by UID), by revision number."""
    uid = (owner.get("metadata") or {}).get("uid")
    mine = [
        revision
        for revision in revisions
        if any(
            reference.get("controller") and reference.get("uid") == uid
            for reference in (revision.get("metadata") or {}).get("ownerReferences") or []
        )
    ]
    return sorted(mine, key=revision_number)


def choose(revisions: Sequence[Obj], to_revision: int) -> Obj:
    """The revision ``rollout undo`` goes to: ``to_revision``, or with 0 the second-highest (kubectl's
    ``findHistory``); ``revisions`` sorted by number, as :func:`owned` gives them."""
    if to_revision == 0:
        if len(revisions) <= 1:
            raise RolloutError("no last revision to roll back to")
        return revisions[-2]
    for revision in revisions:
        if revision_number(revision) == to_revision:
            return revision
    raise RolloutError(f"unable to find specified revision {to_revision} in history")


def template_of(revision: Obj) -> dict[str, Any]:
    """The pod template a revision records (its patch without the ``$patch`` directive)."""
    template = dict((((revision.get("data") or {}).get("spec") or {}).get("template")) or {})
    template.pop("$patch", None)
    return template


def matches(workload: Obj, revision: Obj) -> bool:
    """The workload's template already is the revision's (kubectl compares the two patches)."""
    current = (workload.get("spec") or {}).get("template") or {}
    return bool(normalised(current) == normalised(template_of(revision)))


def undo_patch(revision: Obj) -> dict[str, Any]:
    """The strategic merge patch ``rollout undo`` sends: the revision's data as it is stored."""
    data: dict[str, Any] = dict(revision.get("data") or {})
    return data


def history_rows(revisions: Iterable[Obj]) -> list[tuple[int, str]]:
    """``rollout history``: (revision, change-cause or ``<none>``), by revision."""
    rows: dict[int, str] = {}
    for revision in revisions:
        annotations = (revision.get("metadata") or {}).get("annotations") or {}
        rows[revision_number(revision)] = str(annotations.get(CHANGE_CAUSE) or "<none>")
    return sorted(rows.items())


@dataclasses.dataclass(frozen=True)
class WorkloadStatus:
    """One reading of ``rollout status`` for a DaemonSet or StatefulSet."""

    kind: str
    """``waiting-spec``, ``updated``, ``available``, ``ready``, ``partition``, ``revision`` or ``done``;
    ``not-rolling`` when the update strategy is not RollingUpdate (kubectl's error)."""
    numbers: tuple[int, ...] = ()
    revision: str = ""

    @property
    def done(self) -> bool:
        """The rollout completed (a partitioned one as far as its partition)."""
        return self.kind in {"done", "partition-done"}

    @property
    def failed(self) -> bool:
        """``rollout status`` cannot follow this workload."""
        return self.kind == "not-rolling"


def _strategy_type(workload: Obj) -> str:
    strategy = (workload.get("spec") or {}).get("updateStrategy") or {}
    return str(strategy.get("type") or ROLLING_UPDATE)


def daemonset_status(daemonset: Obj) -> WorkloadStatus:
    """kubectl's ``DaemonSetStatusViewer``."""
    if _strategy_type(daemonset) != ROLLING_UPDATE:
        return WorkloadStatus("not-rolling")
    meta, status = daemonset.get("metadata") or {}, daemonset.get("status") or {}
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return WorkloadStatus("waiting-spec")
    desired = int(status.get("desiredNumberScheduled") or 0)
    updated = int(status.get("updatedNumberScheduled") or 0)
    available = int(status.get("numberAvailable") or 0)
    if updated < desired:
        return WorkloadStatus("updated", (updated, desired))
    if available < desired:
        return WorkloadStatus("available", (available, desired))
    return WorkloadStatus("done")


def statefulset_status(statefulset: Obj) -> WorkloadStatus:
    """kubectl's ``StatefulSetStatusViewer``."""
    if _strategy_type(statefulset) != ROLLING_UPDATE:
        return WorkloadStatus("not-rolling")
    meta, spec = statefulset.get("metadata") or {}, statefulset.get("spec") or {}
    status = statefulset.get("status") or {}
    observed = int(status.get("observedGeneration") or 0)
    if observed == 0 or int(meta.get("generation") or 0) > observed:
        return WorkloadStatus("waiting-spec")
    replicas = spec.get("replicas")
    ready = int(status.get("readyReplicas") or 0)
    if replicas is not None and ready < int(replicas):
        return WorkloadStatus("ready", (int(replicas) - ready,))
    updated = int(status.get("updatedReplicas") or 0)
    rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate")
    if rolling is not None:
        partition = rolling.get("partition")
        if replicas is not None and partition is not None:
            wanted = int(replicas) - int(partition)
            if updated < wanted:
                return WorkloadStatus("partition", (updated, wanted))
        return WorkloadStatus("partition-done", (updated,))
    update_revision = str(status.get("updateRevision") or "")
    if update_revision != str(status.get("currentRevision") or ""):
        return WorkloadStatus("revision", (updated,), revision=update_revision)
    current = int(status.get("currentReplicas") or 0)
    return WorkloadStatus("done", (current,), revision=str(status.get("currentRevision") or ""))


def rollout_status(kind: str, workload: Obj) -> WorkloadStatus:
    """The status viewer of ``kind`` (``daemonset`` or ``statefulset``)."""
    return daemonset_status(workload) if kind == DAEMONSET else statefulset_status(workload)
