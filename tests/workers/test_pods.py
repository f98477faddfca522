"""kubectl's drain filters on plain pod dicts: order, flags, refusals and warnings."""

from __future__ import annotations

from typing import Any

from workers.pods import (
    DAEMONSET_FATAL,
    DAEMONSET_WARNING,
    LOCAL_STORAGE_FATAL,
    LOCAL_STORAGE_WARNING,
    UNMANAGED_FATAL,
    UNMANAGED_WARNING,
    DrainFlags,
    Outcome,
    judge,
    select,
)


def pod(
    name: str,
    *,
    owner: str | None = "ReplicaSet",
    emptydir: bool = False,
    phase: str = "Running",
    mirror: bool = False,
) -> dict[str, Any]:
    """A pod dict as the API returns it, with only what the filters read."""
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"uid-{name}"}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner, "name": f"{name}-owner", "uid": "o", "controller": True}
        ]
    if mirror:
        meta["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    volumes = (
        [{"name": "data", "emptyDir": {}}] if emptydir else [{"name": "cfg", "configMap": {"name": "c"}}]
    )
    return {"metadata": meta, "spec": {"volumes": volumes}, "status": {"phase": phase}}


def exists(namespace: str, name: str) -> bool:
    """Every DaemonSet exists."""
    return True


def missing(namespace: str, name: str) -> bool:
    """No DaemonSet exists."""
    return False


def test_replicated_pod_without_local_storage_is_evicted() -> None:
    """A ReplicaSet pod with no emptyDir passes every filter."""
    verdict = judge(pod("web-1"), flags=DrainFlags(), daemonset_exists=exists)
    assert verdict.status.delete and verdict.status.outcome == Outcome.OKAY


def test_daemonset_pods_are_ignored_with_a_warning() -> None:
    """With --ignore-daemonsets (always on for our drain) DaemonSet pods stay, with kubectl's warning."""
    verdict = judge(pod("proxy", owner="DaemonSet"), flags=DrainFlags(), daemonset_exists=exists)
    assert not verdict.status.delete
    assert (verdict.status.outcome, verdict.status.message) == (Outcome.WARNING, DAEMONSET_WARNING)


def test_daemonset_pods_refuse_the_drain_without_ignore_daemonsets() -> None:
    """kubectl's fatal DaemonSet message when the flag is off."""
    flags = DrainFlags(ignore_daemonsets=False)
    verdict = judge(pod("proxy", owner="DaemonSet"), flags=flags, daemonset_exists=exists)
    assert (verdict.status.outcome, verdict.status.message) == (Outcome.ERROR, DAEMONSET_FATAL)


def test_orphaned_daemonset_pods_go_only_with_force() -> None:
    """A pod whose DaemonSet is gone is an error naming it, and is deleted under --force."""
    orphan = pod("proxy", owner="DaemonSet")
    refused = judge(orphan, flags=DrainFlags(), daemonset_exists=missing)
    forced = judge(orphan, flags=DrainFlags(force=True), daemonset_exists=missing)
    assert refused.status.outcome == Outcome.ERROR and not refused.status.delete
    assert refused.status.message == 'daemonsets.apps "proxy-owner" not found'
    assert forced.status.delete


def test_mirror_pods_are_skipped_silently() -> None:
    """Static pods belong to the kubelet: skipped, no warning."""
    verdict = judge(pod("etcd", owner="Node", mirror=True), flags=DrainFlags(), daemonset_exists=exists)
    assert (verdict.status.delete, verdict.status.outcome) == (False, Outcome.SKIP)


def test_emptydir_refuses_without_delete_emptydir_data() -> None:
    """Local storage is fatal unless --delete-emptydir-data."""
    verdict = judge(
        pod("cache-0", owner="StatefulSet", emptydir=True), flags=DrainFlags(), daemonset_exists=exists
    )
    assert (verdict.status.outcome, verdict.status.message) == (Outcome.ERROR, LOCAL_STORAGE_FATAL)


def test_emptydir_warning_is_dropped_by_the_next_filter_as_in_kubectl() -> None:
    """kubectl keeps the last filter's status, so a controlled emptyDir pod ends OKAY; we still mark the data loss."""
    flags = DrainFlags(delete_emptydir_data=True)
    verdict = judge(pod("cache-0", owner="StatefulSet", emptydir=True), flags=flags, daemonset_exists=exists)
    assert verdict.status.outcome == Outcome.OKAY
    assert verdict.loses_data


def test_emptydir_warning_survives_when_nothing_later_passes_judgement() -> None:
    """A bare emptyDir pod under both flags ends with the unmanaged warning (the last filter's)."""
    flags = DrainFlags(delete_emptydir_data=True, force=True)
    verdict = judge(pod("scratch", owner=None, emptydir=True), flags=flags, daemonset_exists=exists)
    assert (verdict.status.outcome, verdict.status.message) == (Outcome.WARNING, UNMANAGED_WARNING)
    assert verdict.status.message != LOCAL_STORAGE_WARNING


def test_pods_without_a_controller_need_force() -> None:
    """A bare pod is fatal without --force and deleted with a warning with it."""
    refused = judge(pod("debug-shell", owner=None), flags=DrainFlags(), daemonset_exists=exists)
    forced = judge(pod("debug-shell", owner=None), flags=DrainFlags(force=True), daemonset_exists=exists)
    assert (refused.status.outcome, refused.status.message) == (Outcome.ERROR, UNMANAGED_FATAL)
    assert (forced.status.delete, forced.status.message) == (True, UNMANAGED_WARNING)


def test_finished_pods_always_go() -> None:
    """Succeeded or Failed pods pass even bare and with emptyDir."""
    verdict = judge(
        pod("job-x", owner=None, emptydir=True, phase="Succeeded"),
        flags=DrainFlags(),
        daemonset_exists=exists,
    )
    assert verdict.status.delete and verdict.status.outcome == Outcome.OKAY


def test_the_first_refusal_stops_evaluation() -> None:
    """A bare emptyDir pod without flags reports local storage only (the earlier filter)."""
    verdict = judge(pod("scratch", owner=None, emptydir=True), flags=DrainFlags(), daemonset_exists=exists)
    assert verdict.status.message == LOCAL_STORAGE_FATAL


def test_selection_groups_refusals_and_lists_what_is_lost() -> None:
    """Refusals are grouped by message like kubectl; lost pods are the bare and the emptyDir ones."""
    pods = [pod("web-1"), pod("debug-shell", owner=None), pod("cache-0", owner="StatefulSet", emptydir=True)]
    refused = select(pods, flags=DrainFlags(), daemonset_exists=exists)
    assert refused.errors() == {
        UNMANAGED_FATAL: ["default/debug-shell"],
        LOCAL_STORAGE_FATAL: ["default/cache-0"],
    }
    allowed = select(pods, flags=DrainFlags(force=True, delete_emptydir_data=True), daemonset_exists=exists)
    assert allowed.errors() == {}
    assert [v.key for v in allowed.to_evict] == ["default/web-1", "default/debug-shell", "default/cache-0"]
    assert [v.key for v in allowed.lost] == ["default/debug-shell", "default/cache-0"]
