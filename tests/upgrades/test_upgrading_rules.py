"""The pure rules of upgrade execution: which kubelet version to reach, and what a surge replacement is called."""

from __future__ import annotations

import pytest

from workers.errors import JobError
from workers.node_upgrade_work import Checkpoint, node_target, replacement_name
from workers.versions import Version

CONTROL_PLANE = Version(1, 31, 4)


def test_the_control_planes_own_minor_means_its_exact_version() -> None:
    """``upgrade nodes v1.31`` under a v1.31.4 control plane brings kubelets to v1.31.4."""
    assert node_target("v1.31", CONTROL_PLANE) == CONTROL_PLANE


def test_an_older_version_is_kept_as_given() -> None:
    """An older minor or patch is a valid target (the too-old nodes may first go part of the way)."""
    assert node_target("v1.30.6", CONTROL_PLANE) == Version(1, 30, 6)


@pytest.mark.parametrize("version", ["v1.32", "v1.31.5", "v2.0.0"])
def test_anything_newer_than_kube_apiserver_is_refused(version: str) -> None:
    """A kubelet never gets ahead of kube-apiserver, not even by a patch."""
    with pytest.raises(JobError, match="newer than the control plane"):
        node_target(version, CONTROL_PLANE)


def test_a_replacement_is_named_for_its_version_and_a_previous_suffix_is_replaced() -> None:
    """node-2 → node-2-v1-31; upgrading node-2-v1-31 again gives node-2-v1-32, not a growing name."""
    assert replacement_name("node-2", Version(1, 31, 4)) == "node-2-v1-31"
    assert replacement_name("node-2-v1-31", Version(1, 32)) == "node-2-v1-32"


def test_a_checkpoint_survives_the_round_trip_through_its_annotation() -> None:
    """What is written on the node reads back the same; a garbled annotation reads as no checkpoint."""
    checkpoint = Checkpoint(
        target="v1.31.4",
        strategy="surge",
        step="drain",
        job="j1",
        moved=("default/web-1",),
        replacement="n-v1-31",
    )
    node = {"metadata": {"annotations": {"chatops.io/upgrade": checkpoint.to_json()}}}
    assert Checkpoint.of(node) == checkpoint
    assert Checkpoint.of({"metadata": {"annotations": {"chatops.io/upgrade": "{not json"}}}) is None
