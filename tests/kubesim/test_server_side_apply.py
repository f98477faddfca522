"""Server-side apply with field ownership (issue 14, item 5): managers own what they apply, a second
manager's different value is a 409 naming the owner, --force-conflicts takes the field, and a field a
manager stops applying goes unless another still owns it."""

from __future__ import annotations

import json

from kubesim.server import Simulator
from kubesim.testing import Kubectl
from tests.kubesim.conftest import Http

APPLY = "application/apply-patch+yaml"
PATH = "/api/v1/namespaces/default/configmaps/owned"


def apply(
    http: Http, manager: str, data: dict[str, str], *, force: bool = False
) -> tuple[int, dict[str, object]]:
    document: dict[str, object] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"}}
    if data:
        document["data"] = data
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    reply = http("PATCH", PATH + query, raw=json.dumps(document).encode(), content_type=APPLY)
    return reply.status, reply.json()


def test_a_second_manager_conflicts_unless_it_forces(http: Http) -> None:
    assert apply(http, "a", {"owner": "a"})[0] == 201
    status, body = apply(http, "b", {"owner": "b"})
    assert (status, body["message"]) == (409, 'Apply failed with 1 conflict: conflict with "a": .data.owner')
    assert body["details"] == {
        "causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".data.owner"}]
    }
    status, body = apply(http, "b", {"owner": "b"}, force=True)
    assert (status, body["data"]) == (200, {"owner": "b"})
    managers = {entry["manager"]: entry["fieldsV1"] for entry in body["metadata"]["managedFields"]}  # type: ignore[index]
    assert managers == {"b": {"f:data": {"f:owner": {}}}}


def test_a_field_no_manager_applies_any_more_is_removed(http: Http) -> None:
    apply(http, "a", {"one": "1", "two": "2"})
    apply(http, "b", {"two": "2"})
    assert apply(http, "a", {"one": "1"})[1]["data"] == {"one": "1", "two": "2"}
    assert apply(http, "b", {})[1]["data"] == {"one": "1"}


def test_kubectl_apply_server_side_reports_the_conflict(kubectl: Kubectl, sim: Simulator) -> None:
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned, namespace: default}\ndata: {owner: %s}\n"
    )
    kubectl(
        "apply", "--server-side", "--field-manager=alice", "-f", "-", input=manifest % "alice", check=True
    )
    refused = kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-", input=manifest % "bob")
    assert not refused.ok
    assert 'conflict with "alice": .data.owner' in refused.stderr
    kubectl(
        "apply",
        "--server-side",
        "--field-manager=bob",
        "--force-conflicts",
        "-f",
        "-",
        input=manifest % "bob",
        check=True,
    )
    assert sim.store.get("configmaps", "default", "owned")["data"] == {"owner": "bob"}
