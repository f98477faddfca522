"""kubectl's rollout rules on plain Deployment and ReplicaSet dicts: undo, history and status."""

from __future__ import annotations

from typing import Any

import pytest

from workers.rollouts import (
    RolloutError,
    choose_revision,
    history_rows,
    owned_replicasets,
    rollout_status,
    template_changes,
    templates_equal,
    undo_patch,
)

DEPLOY_UID = "d-1"


def template(image: str, *, hash_label: str | None = None) -> dict[str, Any]:
    """A pod template running one nginx container."""
    labels = {"app": "web"} | ({"pod-template-hash": hash_label} if hash_label else {})
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "nginx", "image": image}]}}


def replicaset(
    revision: int | None, image: str, *, owner: str = DEPLOY_UID, cause: str | None = None
) -> dict[str, Any]:
    """A ReplicaSet of the web Deployment at a revision."""
    annotations: dict[str, str] = {}
    if revision is not None:
        annotations["deployment.kubernetes.io/revision"] = str(revision)
    if cause:
        annotations["kubernetes.io/change-cause"] = cause
    return {
        "metadata": {
            "name": f"web-{revision}",
            "annotations": annotations,
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": owner, "controller": True}],
        },
        "spec": {"template": template(image, hash_label=f"h{revision}")},
    }


def deployment(image: str, **status: Any) -> dict[str, Any]:
    """The web Deployment with a given template image and status."""
    return {
        "metadata": {
            "name": "web",
            "uid": DEPLOY_UID,
            "generation": status.pop("generation", 1),
            "annotations": {"deployment.kubernetes.io/revision": "3", "team": "shop"},
        },
        "spec": {"replicas": 3, "template": template(image)},
        "status": {"observedGeneration": 1, **status},
    }


HISTORY = [replicaset(1, "nginx:1.25"), replicaset(3, "nginx:1.27"), replicaset(2, "nginx:1.26")]


def test_undo_goes_to_the_second_highest_revision_by_default() -> None:
    """--to-revision=0 picks the previous revision, whatever the list order."""
    assert choose_revision(HISTORY, 0, deployment_name="web")["metadata"]["name"] == "web-2"


def test_undo_to_a_named_revision_finds_it() -> None:
    """--to-revision=N picks that ReplicaSet."""
    assert choose_revision(HISTORY, 1, deployment_name="web")["metadata"]["name"] == "web-1"


def test_undo_to_a_missing_revision_is_kubectls_error() -> None:
    """An unknown revision is refused with kubectl's text."""
    with pytest.raises(RolloutError, match="unable to find specified revision 7 in history"):
        choose_revision(HISTORY, 7, deployment_name="web")


def test_undo_without_history_is_kubectls_error() -> None:
    """A single revision has nothing to go back to."""
    with pytest.raises(RolloutError, match='no rollout history found for deployment "web"'):
        choose_revision([replicaset(1, "nginx:1.25")], 0, deployment_name="web")


def test_only_replicasets_controlled_by_the_deployment_count() -> None:
    """A ReplicaSet matching the selector but owned by someone else is left out."""
    stranger = replicaset(9, "nginx:9", owner="other")
    assert owned_replicasets(deployment("nginx:1.27"), [*HISTORY, stranger]) == HISTORY


def test_templates_are_compared_ignoring_the_hash_label_and_empty_fields() -> None:
    """EqualIgnoreHash: the pod-template-hash label and empty maps do not count."""
    left = template("nginx:1.26", hash_label="abc")
    right = template("nginx:1.26") | {"metadata": {"labels": {"app": "web"}, "annotations": {}}}
    assert templates_equal(left, right)
    assert not templates_equal(left, template("nginx:1.27"))


def test_undo_patch_is_kubectls_json_patch() -> None:
    """Replace the template (hash removed) and the annotations (skip-list from the Deployment, rest from the RS)."""
    patch = undo_patch(deployment("nginx:1.27"), replicaset(2, "nginx:1.26", cause="set image 1.26"))
    assert patch == [
        {"op": "replace", "path": "/spec/template", "value": template("nginx:1.26")},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {
                "deployment.kubernetes.io/revision": "3",
                "kubernetes.io/change-cause": "set image 1.26",
            },
        },
    ]


def test_template_changes_name_the_image_difference() -> None:
    """A rollback plan shows container images old → new."""
    assert template_changes(template("nginx:1.27"), template("nginx:1.26", hash_label="x")) == [
        "container nginx: nginx:1.27 → nginx:1.26"
    ]


def test_history_rows_are_sorted_with_none_for_missing_causes() -> None:
    """rollout history: by revision, <none> without a change-cause."""
    rows = history_rows([replicaset(2, "b", cause="second"), replicaset(1, "a")])
    assert rows == [(1, "<none>"), (2, "second")]


@pytest.mark.parametrize(
    ("status", "kind", "numbers"),
    [
        ({"generation": 2}, "waiting-spec", ()),
        (
            {
                "conditions": [
                    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
                ]
            },
            "deadline",
            (),
        ),
        ({"updatedReplicas": 1, "replicas": 4, "availableReplicas": 3}, "updated", (1, 3)),
        ({"updatedReplicas": 3, "replicas": 4, "availableReplicas": 3}, "old-pending", (1,)),
        ({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 2}, "available", (2, 3)),
        ({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3}, "done", ()),
    ],
    ids=["spec-not-observed", "deadline", "updating", "old-pending", "not-available", "done"],
)
def test_rollout_status_follows_kubectls_rules_in_order(
    status: dict[str, Any], kind: str, numbers: tuple[int, ...]
) -> None:
    """Each status reading maps to kubectl's message kind with its numbers."""
    reading = rollout_status(deployment("nginx:1.27", **status))
    assert (reading.kind, reading.numbers) == (kind, numbers)
