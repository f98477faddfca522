"""Which pods a drain evicts: kubectl's drain filters (kubectl ``pkg/drain/filters.go``) on plain pod dicts.

The filters run in kubectl's order and the first one that says "don't delete" stops evaluation:
DaemonSet-managed pods are ignored (our drain always passes ``--ignore-daemonsets``), mirror pods are
skipped, pods with ``emptyDir`` volumes need ``--delete-emptydir-data``, and pods that declare no
controller need ``--force``. As in kubectl, the status a pod ends with is the last filter's, so a
local-storage warning is dropped when a later filter passes the pod; our plan records the data loss
separately (:attr:`PodVerdict.loses_data`) so nobody is surprised.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})

Pod = Mapping[str, Any]
DaemonSetLookup = Callable[[str, str], bool]
"""``(namespace, name) -> exists``; raises for errors other than not found."""


class Outcome(enum.StrEnum):
    """kubectl's ``PodDeleteStatus`` reasons."""

    OKAY = "okay"
    SKIP = "skip"
    WARNING = "warning"
    ERROR = "error"


@dataclasses.dataclass(frozen=True)
class Status:
    """What one filter says about one pod."""

    delete: bool
    outcome: Outcome
    message: str = ""


OKAY = Status(delete=True, outcome=Outcome.OKAY)


@dataclasses.dataclass(frozen=True)
class DrainFlags:
    """The kubectl drain flags that change which pods may go."""

    force: bool = False
    delete_emptydir_data: bool = False
    ignore_daemonsets: bool = True


@dataclasses.dataclass(frozen=True)
class PodVerdict:
    """A pod and what the drain does with it."""

    pod: Pod
    status: Status
    has_controller: bool
    loses_data: bool

    @property
    def key(self) -> str:
        """``namespace/name``, as kubectl lists pods."""
        return pod_key(self.pod)


def pod_key(pod: Pod) -> str:
    """``namespace/name`` of a pod dict."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def controller_of(pod: Pod) -> Mapping[str, Any] | None:
    """The owner reference marked ``controller: true``, if any."""
    for owner in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            return dict(owner)
    return None


def is_finished(pod: Pod) -> bool:
    """Succeeded or Failed pods can always go."""
    return (pod.get("status") or {}).get("phase") in FINISHED_PHASES


def has_local_storage(pod: Pod) -> bool:
    """Any ``emptyDir`` volume (only emptyDir counts, as in kubectl)."""
    return any("emptyDir" in volume for volume in (pod.get("spec") or {}).get("volumes") or [])


def daemonset_filter(pod: Pod, *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> Status:
    """DaemonSet pods are ignored (or refused without ``--ignore-daemonsets``); orphans go with --force."""
    owner = controller_of(pod)
    if owner is None or owner.get("kind") != "DaemonSet" or is_finished(pod):
        return OKAY
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    if not daemonset_exists(namespace, str(owner.get("name"))):
        message = f'daemonsets.apps "{owner.get("name")}" not found'
        if flags.force:
            return Status(delete=True, outcome=Outcome.WARNING, message=message)
        return Status(delete=False, outcome=Outcome.ERROR, message=message)
    if not flags.ignore_daemonsets:
        return Status(delete=False, outcome=Outcome.ERROR, message=DAEMONSET_FATAL)
    return Status(delete=False, outcome=Outcome.WARNING, message=DAEMONSET_WARNING)


def mirror_filter(pod: Pod, *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> Status:
    """Static (mirror) pods belong to the kubelet: skip them silently."""
    if MIRROR_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {}):
        return Status(delete=False, outcome=Outcome.SKIP)
    return OKAY


def local_storage_filter(pod: Pod, *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> Status:
    """emptyDir data dies with the pod: only with ``--delete-emptydir-data``."""
    if not has_local_storage(pod) or is_finished(pod):
        return OKAY
    if not flags.delete_emptydir_data:
        return Status(delete=False, outcome=Outcome.ERROR, message=LOCAL_STORAGE_FATAL)
    return Status(delete=True, outcome=Outcome.WARNING, message=LOCAL_STORAGE_WARNING)


def unreplicated_filter(pod: Pod, *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> Status:
    """Pods nothing will recreate go only with ``--force``."""
    if is_finished(pod) or controller_of(pod) is not None:
        return OKAY
    if flags.force:
        return Status(delete=True, outcome=Outcome.WARNING, message=UNMANAGED_WARNING)
    return Status(delete=False, outcome=Outcome.ERROR, message=UNMANAGED_FATAL)


FILTERS = (daemonset_filter, mirror_filter, local_storage_filter, unreplicated_filter)
"""kubectl's order (after skipDeleted, which needs --skip-wait-for-delete-timeout we never pass)."""


def judge(pod: Pod, *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> PodVerdict:
    """Run the filters on one pod; the first "don't delete" stops evaluation, the last status stands."""
    status = OKAY
    for check in FILTERS:
        status = check(pod, flags=flags, daemonset_exists=daemonset_exists)
        if not status.delete:
            break
    return PodVerdict(
        pod=pod,
        status=status,
        has_controller=controller_of(pod) is not None,
        loses_data=has_local_storage(pod) and not is_finished(pod),
    )


@dataclasses.dataclass(frozen=True)
class Selection:
    """Every pod on the node, judged: what goes, what stays, and what refuses the drain."""

    verdicts: tuple[PodVerdict, ...]

    @property
    def to_evict(self) -> list[PodVerdict]:
        """Pods the drain evicts, in list order."""
        return [v for v in self.verdicts if v.status.delete]

    @property
    def ignored(self) -> list[PodVerdict]:
        """Pods left in place (DaemonSet and mirror pods)."""
        return [v for v in self.verdicts if not v.status.delete and v.status.outcome != Outcome.ERROR]

    @property
    def lost(self) -> list[PodVerdict]:
        """Evicted pods nothing recreates, or whose emptyDir data is deleted."""
        return [v for v in self.to_evict if (not v.has_controller and not is_finished(v.pod)) or v.loses_data]

    def errors(self) -> dict[str, list[str]]:
        """Refusals, message → pods (kubectl: ``cannot delete <message>: ns/a, ns/b``)."""
        return _grouped(v for v in self.verdicts if v.status.outcome == Outcome.ERROR)

    def warnings(self) -> dict[str, list[str]]:
        """Warnings, message → pods (kubectl: ``Warning: <message>: ns/a, ns/b``)."""
        return _grouped(v for v in self.verdicts if v.status.outcome == Outcome.WARNING)


def _grouped(verdicts: Iterable[PodVerdict]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for verdict in verdicts:
        groups.setdefault(verdict.status.message, []).append(verdict.key)
    return groups


def select(pods: Iterable[Pod], *, flags: DrainFlags, daemonset_exists: DaemonSetLookup) -> Selection:
    """Judge every pod of a node with kubectl's drain filters."""
    return Selection(tuple(judge(pod, flags=flags, daemonset_exists=daemonset_exists) for pod in pods))
