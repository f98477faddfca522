"""kubectl's rollout rules for DaemonSets and StatefulSets as pure functions: which revision ``rollout
undo`` picks, when it has nothing to do, and what ``rollout status`` says for each kind."""

from __future__ import annotations

from typing import Any

import pytest

from workers import controller_revisions as rules
from workers.rollouts import RolloutError

OWNER = {"metadata": {"uid": "u-1"}, "spec": {"template": {"spec": {"containers": [{"image": "a:2"}]}}}}


def revision(number: int, image: str, *, owner: str = "u-1") -> dict[str, Any]:
    """A ControllerRevision as the controllers write it."""
    return {
        "metadata": {"ownerReferences": [{"uid": owner, "controller": True}]},
        "revision": number,
        "data": {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"image": image}]}}}},
    }


def test_only_the_workloads_own_revisions_count_in_revision_order() -> None:
    """Another owner's revision is ignored; the rest come sorted by number."""
    found = rules.owned(OWNER, [revision(2, "a:2"), revision(1, "x:1", owner="u-2"), revision(1, "a:1")])
    assert [r["revision"] for r in found] == [1, 2]


def test_undo_picks_the_second_highest_or_the_named_revision() -> None:
    """As kubectl's findHistory: 0 means the previous one; a number must exist."""
    history = [revision(1, "a:1"), revision(3, "a:3"), revision(4, "a:2")]
    assert rules.choose(history, 0)["revision"] == 3
    assert rules.choose(history, 1)["revision"] == 1
    with pytest.raises(RolloutError, match="unable to find specified revision 2 in history"):
        rules.choose(history, 2)
    with pytest.raises(RolloutError, match="no last revision to roll back to"):
        rules.choose(history[:1], 0)


def test_a_revision_matching_the_template_needs_no_patch_and_the_patch_is_its_data() -> None:
    """Equal templates (ignoring the ``$patch`` directive and empty fields) are kubectl's skip."""
    assert rules.matches(OWNER, revision(4, "a:2"))
    assert not rules.matches(OWNER, revision(1, "a:1"))
    assert rules.undo_patch(revision(1, "a:1"))["spec"]["template"]["$patch"] == "replace"


@pytest.mark.parametrize(
    ("status", "generation", "kind"),
    [
        ({"observedGeneration": 1}, 2, "waiting-spec"),
        ({"observedGeneration": 2, "desiredNumberScheduled": 4, "updatedNumberScheduled": 1}, 2, "updated"),
        (
            {
                "observedGeneration": 2,
                "desiredNumberScheduled": 4,
                "updatedNumberScheduled": 4,
                "numberAvailable": 3,
            },
            2,
            "available",
        ),
        (
            {
                "observedGeneration": 2,
                "desiredNumberScheduled": 4,
                "updatedNumberScheduled": 4,
                "numberAvailable": 4,
            },
            2,
            "done",
        ),
    ],
)
def test_daemonset_status_follows_kubectls_viewer(status: dict[str, int], generation: int, kind: str) -> None:
    """Spec not observed, pods not updated, updated pods not available, done: in that order."""
    daemonset = {"metadata": {"generation": generation}, "spec": {}, "status": status}
    assert rules.daemonset_status(daemonset).kind == kind


def test_statefulset_status_of_a_partitioned_and_of_an_on_delete_rollout() -> None:
    """A partition counts only the pods above it; OnDelete cannot be followed (kubectl's error)."""
    partitioned = {
        "metadata": {"generation": 3},
        "spec": {
            "replicas": 3,
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        },
        "status": {"observedGeneration": 3, "readyReplicas": 3, "updatedReplicas": 1},
    }
    assert rules.statefulset_status(partitioned).kind == "partition"
    assert rules.statefulset_status(partitioned).numbers == (1, 2)
    on_delete = {**partitioned, "spec": {"updateStrategy": {"type": "OnDelete"}}}
    assert rules.statefulset_status(on_delete).failed
