"""Specification of PATCH bodies: strategic merge (with kubectl's directives), merge patch, JSON patch."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.errors import ApiError
from kubesim.patching import JSON_PATCH, MERGE, STRATEGIC, apply_patch

DEPLOYMENT: dict[str, Any] = {
    "metadata": {"name": "web", "annotations": {"a": "1", "b": "2"}, "finalizers": ["x"]},
    "spec": {
        "paused": True,
        "template": {
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]},
                    {"name": "sidecar", "image": "envoy:1"},
                ],
                "tolerations": [{"key": "a"}],
            }
        },
    },
}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod template's containers."""
    return obj["spec"]["template"]["spec"]["containers"]  # type: ignore[no-any-return]


def test_strategic_merge_merges_containers_by_name() -> None:
    """`kubectl set image` style patches touch one container and keep the others."""
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    result = apply_patch(DEPLOYMENT, patch, content_type=STRATEGIC)
    assert [(c["name"], c["image"]) for c in containers(result)] == [
        ("web", "nginx:1.27"),
        ("sidecar", "envoy:1"),
    ]
    assert containers(result)[0]["env"] == [{"name": "A", "value": "1"}]


def test_strategic_merge_null_removes_a_field() -> None:
    """uncordon/resume send null to delete the field."""
    result = apply_patch(DEPLOYMENT, {"spec": {"paused": None}}, content_type=STRATEGIC)
    assert "paused" not in result["spec"]


def test_strategic_merge_directives_delete_replace_and_primitive_lists() -> None:
    """`$patch: delete` drops a keyed element, `$patch: replace` swaps a map, finalizers union."""
    patch = {
        "metadata": {"annotations": {"$patch": "replace", "c": "3"}, "finalizers": ["y"]},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}],
                    "containers": [{"name": "sidecar", "$patch": "delete"}],
                }
            }
        },
    }
    result = apply_patch(DEPLOYMENT, patch, content_type=STRATEGIC)
    assert result["metadata"]["annotations"] == {"c": "3"}
    assert result["metadata"]["finalizers"] == ["x", "y"]
    assert [c["name"] for c in containers(result)] == ["web"]


def test_strategic_merge_replaces_lists_without_a_merge_key() -> None:
    """Tolerations have no patch strategy: the patch list replaces the original."""
    patch = {"spec": {"template": {"spec": {"tolerations": [{"key": "b"}]}}}}
    assert apply_patch(DEPLOYMENT, patch, content_type=STRATEGIC)["spec"]["template"]["spec"][
        "tolerations"
    ] == [{"key": "b"}]


def test_merge_patch_replaces_lists_and_deletes_nulls() -> None:
    """RFC 7386: lists are replaced wholesale, null deletes."""
    patch = {"metadata": {"annotations": {"a": None}}, "spec": {"template": {"spec": {"containers": []}}}}
    result = apply_patch(DEPLOYMENT, patch, content_type=MERGE + "; charset=utf-8")
    assert result["metadata"]["annotations"] == {"b": "2"}
    assert containers(result) == []


def test_json_patch_applies_operations_in_order() -> None:
    """RFC 6902, as `kubectl rollout undo` sends it."""
    patch = [
        {"op": "replace", "path": "/metadata/annotations", "value": {"z": "9"}},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.26"},
    ]
    result = apply_patch(DEPLOYMENT, patch, content_type=JSON_PATCH)
    assert result["metadata"]["annotations"] == {"z": "9"}
    assert containers(result)[0]["image"] == "nginx:1.26"
    assert containers(DEPLOYMENT)[0]["image"] == "nginx:1.25"


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ({"op": "add"}, JSON_PATCH, 400),
        ([{"op": "remove", "path": "/nope/deeper"}], JSON_PATCH, 422),
        ([1, 2], STRATEGIC, 400),
        ({"spec": {}}, "text/plain", 415),
    ],
    ids=["not-a-list", "failing-op", "smp-not-object", "unknown-type"],
)
def test_bad_patches_are_client_errors(body: Any, content_type: str, code: int) -> None:
    """Malformed bodies are 400, failing operations 422, unknown patch types 415."""
    with pytest.raises(ApiError) as caught:
        apply_patch(DEPLOYMENT, body, content_type=content_type)
    assert caught.value.code == code
