"""Sentences about DaemonSet and StatefulSet rollouts (``rollback``, ``history``, ``status`` of
``daemonset/NAME`` and ``statefulset/NAME``), in kubectl's words where kubectl has them."""

from __future__ import annotations

from collections.abc import Sequence

from shared.text_safety import code

KIND_WORDS = {"daemonset": "DaemonSet", "statefulset": "StatefulSet"}


def resource(kind: str, name: str) -> str:
    """kubectl's ``daemonset.apps/NAME``."""
    return f"{kind}.apps/{name}"


def not_found(kind: str, name: str, namespace: str) -> str:
    """404 on the workload."""
    return f"There is no {KIND_WORDS.get(kind, kind)} {code(name)} in namespace {code(namespace)}."


def rollback_plan(kind: str, name: str, *, revision: int, changes: Sequence[str]) -> str:
    """Where a rollback goes and what it changes in the pod template."""
    body = "\n".join(f"  {change}" for change in changes) or "  (no difference)"
    return f"Roll back {resource(kind, name)} to revision {revision}:\n{body}"


def rolled_back(kind: str, name: str, *, revision: int) -> str:
    """kubectl's ``rolled back``."""
    return f"{resource(kind, name)} rolled back (to the template of revision {revision})"


def skipped_rollback(revision: int) -> str:
    """kubectl's no-op rollback."""
    return f"skipped rollback (current template already matches revision {revision})"


def history_table(kind: str, name: str, rows: Sequence[tuple[int, str]]) -> str:
    """kubectl rollout history."""
    if not rows:
        return "No rollout history found."
    width = max(len("REVISION"), *(len(str(r)) for r, _ in rows))
    lines = [f"{'REVISION'.ljust(width)}  CHANGE-CAUSE"]
    lines += [f"{str(revision).ljust(width)}  {cause}" for revision, cause in rows]
    return f"{resource(kind, name)}\n```\n" + "\n".join(lines) + "\n```"


def not_rolling() -> str:
    """kubectl's refusal to follow an OnDelete workload."""
    return "rollout status is only available for RollingUpdate strategy type"


def daemonset_waiting_spec() -> str:
    """rollout status: the controller has not seen the latest spec."""
    return "Waiting for daemon set spec update to be observed..."


def daemonset_updated(name: str, updated: int, desired: int) -> str:
    """rollout status: new pods being created."""
    return (
        f'Waiting for daemon set "{name}" rollout to finish: '
        f"{updated} out of {desired} new pods have been updated..."
    )


def daemonset_available(name: str, available: int, desired: int) -> str:
    """rollout status: updated pods not yet available."""
    return f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are available...'


def daemonset_done(name: str) -> str:
    """rollout status: complete."""
    return f'daemon set "{name}" successfully rolled out'


def statefulset_waiting_spec() -> str:
    """rollout status: the controller has not seen the latest spec."""
    return "Waiting for statefulset spec update to be observed..."


def statefulset_ready(missing: int) -> str:
    """rollout status: pods not ready yet."""
    return f"Waiting for {missing} pods to be ready..."


def statefulset_partition(updated: int, wanted: int) -> str:
    """rollout status: a partitioned rollout in progress."""
    return (
        f"Waiting for partitioned roll out to finish: {updated} out of {wanted} new pods have been updated..."
    )


def statefulset_partition_done(updated: int) -> str:
    """rollout status: a partitioned (or default RollingUpdate) rollout complete."""
    return f"partitioned roll out complete: {updated} new pods have been updated..."


def statefulset_revision(updated: int, revision: str) -> str:
    """rollout status: pods still moving to the update revision."""
    return f"waiting for statefulset rolling update to complete {updated} pods at revision {revision}..."


def statefulset_done(current: int, revision: str) -> str:
    """rollout status: complete."""
    return f"statefulset rolling update complete {current} pods at revision {revision}..."


def gave_up(kind: str, name: str, *, seconds: float, last: str) -> str:
    """Our own wait deadline ran out before the rollout finished."""
    return f"Stopped watching {resource(kind, name)} after {seconds:g}s; last status: {last}"


def follow_cancelled(kind: str, name: str, *, last: str) -> str:
    """Cancelled while following a rollout: the change itself stays."""
    return f"Stopped following the rollout of {resource(kind, name)} on request (last status: {last}); any change made stays."
