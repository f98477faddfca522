"""Specification of the object store: versioning, generations, graceful deletion, GC, indexes and events."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.errors import ApiError
from kubesim.records import Event
from kubesim.store import Store


@pytest.fixture(name="store")
def fixture_store() -> Store:
    """An empty store on a real-time clock."""
    return Store(clock=Clock())


def pod(
    name: str, *, node: str | None = None, labels: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A minimal pod manifest, optionally bound to a node."""
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec, **extra}


def deployment(name: str, replicas: int = 2) -> dict[str, Any]:
    """A minimal Deployment manifest."""
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }


def running(store: Store, name: str, node: str) -> dict[str, Any]:
    """Create a pod bound to a node and mark it Running."""
    store.create("pods", pod(name, node=node), namespace="default")
    return store.mutate("pods", "default", name, lambda p: p["status"].update(phase="Running"))


def test_create_assigns_identity_version_and_defaults(store: Store) -> None:
    """A created object gets uid, creationTimestamp, a resourceVersion, generation 1, kind and defaults."""
    created = store.create("deployments", deployment("web"), namespace="default")
    meta = created["metadata"]
    assert (created["apiVersion"], created["kind"]) == ("apps/v1", "Deployment")
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["resourceVersion"] == str(store.resource_version)
    assert meta["generation"] == 1
    assert created["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert created["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30


def test_create_with_generate_name_picks_a_free_suffix(store: Store) -> None:
    """generateName yields `<prefix><5 chars>` names that do not collide."""
    names = {
        store.create(
            "pods", {"metadata": {"generateName": "web-"}, "spec": pod("x")["spec"]}, namespace="default"
        )["metadata"]["name"]
        for _ in range(20)
    }
    assert len(names) == 20
    assert all(n.startswith("web-") and len(n) == 9 for n in names)


def test_creating_a_taken_name_is_409_already_exists(store: Store) -> None:
    """A second object with the same namespace/name is refused with AlreadyExists."""
    store.create("pods", pod("a"), namespace="default")
    with pytest.raises(ApiError) as caught:
        store.create("pods", pod("a"), namespace="default")
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        409,
        "AlreadyExists",
        'pods "a" already exists',
    )


def test_missing_objects_are_404_with_the_qualified_resource_name(store: Store) -> None:
    """NotFound messages name `deployments.apps` for grouped resources, as kubectl prints them."""
    with pytest.raises(ApiError) as caught:
        store.get("deployments", "default", "web")
    assert caught.value.code == 404
    assert caught.value.message == 'deployments.apps "web" not found'
    assert store.find("deployments", "default", "web") is None


def test_returned_objects_are_copies(store: Store) -> None:
    """Editing what the store returned does not change the stored object."""
    store.create("pods", pod("a"), namespace="default")
    copy = store.get("pods", "default", "a")
    copy["metadata"]["labels"]["hacked"] = "yes"
    assert "hacked" not in store.get("pods", "default", "a")["metadata"]["labels"]


def test_replace_with_a_stale_resource_version_is_409_conflict(store: Store) -> None:
    """PUT carrying an old resourceVersion is refused; without one it is unconditional."""
    created = store.create("deployments", deployment("web"), namespace="default")
    store.mutate(
        "deployments", "default", "web", lambda d: d["metadata"].setdefault("labels", {}).update(a="1")
    )
    with pytest.raises(ApiError) as caught:
        store.replace("deployments", created)
    assert caught.value.code == 409
    assert "the object has been modified" in caught.value.message
    created["metadata"].pop("resourceVersion")
    assert store.replace("deployments", created)["metadata"].get("labels") is None


def test_spec_changes_bump_generation_but_metadata_and_status_changes_do_not(store: Store) -> None:
    """generation counts spec changes only."""
    store.create("deployments", deployment("web"), namespace="default")
    store.mutate("deployments", "default", "web", lambda d: d["metadata"].update(labels={"x": "y"}))
    store.mutate(
        "deployments", "default", "web", lambda d: d["status"].update(replicas=2), subresource="status"
    )
    assert store.get("deployments", "default", "web")["metadata"]["generation"] == 1
    store.mutate("deployments", "default", "web", lambda d: d["spec"].update(replicas=5))
    assert store.get("deployments", "default", "web")["metadata"]["generation"] == 2


def test_replace_keeps_status_and_the_status_subresource_changes_only_status(store: Store) -> None:
    """The main resource ignores status edits; /status ignores everything but status."""
    store.create("deployments", deployment("web"), namespace="default")
    current = store.get("deployments", "default", "web")
    current["status"] = {"replicas": 7}
    current["spec"]["replicas"] = 3
    after = store.replace("deployments", current)
    assert after["status"] != {"replicas": 7}
    assert after["spec"]["replicas"] == 3
    after["status"] = {"replicas": 7}
    after["spec"]["replicas"] = 9
    final = store.replace("deployments", after, subresource="status")
    assert (final["status"], final["spec"]["replicas"]) == ({"replicas": 7}, 3)


def test_a_mutation_that_changes_nothing_writes_nothing(store: Store) -> None:
    """mutate() with a no-op function keeps the resourceVersion and emits no event."""
    store.create("pods", pod("a"), namespace="default")
    events: list[str] = []
    store.subscribe(lambda kind, resource, obj: events.append(kind))
    version = store.resource_version
    store.mutate("pods", "default", "a", lambda p: None)
    assert (store.resource_version, events) == (version, [])


def test_patch_carrying_a_different_resource_version_conflicts(store: Store) -> None:
    """A patch applies to the latest object unless it pins another resourceVersion."""
    store.create("nodes", {"metadata": {"name": "n1"}})
    patched = store.patch(
        "nodes",
        None,
        "n1",
        {"spec": {"unschedulable": True}},
        content_type="application/strategic-merge-patch+json",
    )
    assert patched["spec"]["unschedulable"] is True
    with pytest.raises(ApiError) as caught:
        store.patch(
            "nodes",
            None,
            "n1",
            {"metadata": {"resourceVersion": "1"}, "spec": {"unschedulable": None}},
            content_type="application/merge-patch+json",
        )
    assert caught.value.code == 409


def test_deleting_a_running_pod_is_graceful(store: Store) -> None:
    """A bound, running pod gets deletionTimestamp and the pod's grace period; remove() finishes it."""
    running(store, "a", "n1")
    deleted = store.delete("pods", "default", "a")
    assert deleted["metadata"]["deletionGracePeriodSeconds"] == 30
    assert deleted["metadata"]["deletionTimestamp"]
    assert store.find("pods", "default", "a") is not None
    store.remove("pods", "default", "a")
    assert store.find("pods", "default", "a") is None


@pytest.mark.parametrize(
    ("phase", "node", "grace"),
    [("Pending", None, None), ("Succeeded", "n1", None), ("Running", "n1", 0)],
    ids=["unscheduled", "finished", "zero-grace"],
)
def test_some_pods_are_deleted_at_once(store: Store, phase: str, node: str | None, grace: int | None) -> None:
    """Unscheduled pods, finished pods and grace period 0 skip the graceful wait."""
    store.create("pods", pod("a", node=node, status={"phase": phase}), namespace="default")
    store.delete("pods", "default", "a", grace_period_seconds=grace)
    assert store.find("pods", "default", "a") is None


def test_delete_preconditions_must_match(store: Store) -> None:
    """A uid precondition that does not match is a 409 Conflict."""
    store.create("configmaps", {"metadata": {"name": "c"}}, namespace="default")
    with pytest.raises(ApiError) as caught:
        store.delete("configmaps", "default", "c", preconditions={"uid": "other"})
    assert caught.value.code == 409
    assert "Precondition failed: UID in precondition: other" in caught.value.message


def test_deleting_an_owner_garbage_collects_its_dependents(store: Store) -> None:
    """Background propagation deletes objects whose ownerReferences point at the removed owner."""
    owner = store.create("replicasets", deployment("web"), namespace="default")
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner["metadata"]["uid"]}
    store.create(
        "pods", {**pod("w1"), "metadata": {"name": "w1", "ownerReferences": [ref]}}, namespace="default"
    )
    store.create("pods", pod("other"), namespace="default")
    store.delete("replicasets", "default", "web")
    names = [p["metadata"]["name"] for p in store.list("pods", "default")[0]]
    assert names == ["other"]


def test_orphan_propagation_keeps_dependents_without_the_owner_reference(store: Store) -> None:
    """Orphan leaves dependents in place and strips the owner reference (an empty list is omitted, as the
    garbage collector's patch leaves it)."""
    owner = store.create("replicasets", deployment("web"), namespace="default")
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner["metadata"]["uid"]}
    store.create(
        "pods", {**pod("w1"), "metadata": {"name": "w1", "ownerReferences": [ref]}}, namespace="default"
    )
    store.delete("replicasets", "default", "web", propagation_policy="Orphan")
    assert "ownerReferences" not in store.get("pods", "default", "w1")["metadata"]
    assert store.find("replicasets", "default", "web") is None


def test_pods_on_node_follows_binding_and_removal(store: Store) -> None:
    """The spec.nodeName index tracks binds, re-binds and deletions."""
    running(store, "a", "n1")
    running(store, "b", "n2")
    store.create("pods", pod("c"), namespace="default")
    store.mutate("pods", "default", "c", lambda p: p["spec"].update(nodeName="n1"))
    assert [p["metadata"]["name"] for p in store.pods_on_node("n1")] == ["a", "c"]
    store.delete("pods", "default", "a", grace_period_seconds=0)
    assert [p["metadata"]["name"] for p in store.pods_on_node("n1")] == ["c"]
    assert store.pods_on_node("nowhere") == []


def test_unscheduled_pods_are_indexed_under_the_empty_node_name(store: Store) -> None:
    """pods_on_node("") and `spec.nodeName=` list pending pods without scanning; binding moves them."""
    store.create("pods", pod("pending"), namespace="default")
    running(store, "bound", "n1")
    assert [p["metadata"]["name"] for p in store.pods_on_node("")] == ["pending"]
    assert [p["metadata"]["name"] for p in store.list("pods", field_selector="spec.nodeName=")[0]] == [
        "pending"
    ]
    store.mutate("pods", "default", "pending", lambda p: p["spec"].update(nodeName="n2"))
    assert store.pods_on_node("") == []


def test_owned_by_finds_a_controllers_objects_through_the_owner_index(store: Store) -> None:
    """owned_by(uid) returns exactly the objects whose ownerReferences name that uid."""
    owner = store.create("replicasets", deployment("web"), namespace="default")
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner["metadata"]["uid"]}
    for name in ("w2", "w1"):
        store.create(
            "pods", {**pod(name), "metadata": {"name": name, "ownerReferences": [ref]}}, namespace="default"
        )
    store.create("pods", pod("other"), namespace="default")
    owned = store.owned_by(owner["metadata"]["uid"], "pods", copy=False)
    assert [p["metadata"]["name"] for p in owned] == ["w1", "w2"]
    assert store.owned_by("unknown-uid") == []


def test_list_filters_by_namespace_labels_and_fields(store: Store) -> None:
    """Lists combine namespace, label selector and field selector; the list RV is the current counter."""
    store.create("pods", pod("a", node="n1", labels={"app": "web"}), namespace="default")
    store.create("pods", pod("b", node="n2", labels={"app": "web"}), namespace="default")
    store.create("namespaces", {"metadata": {"name": "other"}})
    store.create("pods", pod("c", node="n1", labels={"app": "db"}), namespace="other")
    items, version = store.list("pods", label_selector="app=web", field_selector="spec.nodeName=n1")
    assert [p["metadata"]["name"] for p in items] == ["a"]
    assert version == str(store.resource_version)
    assert [p["metadata"]["name"] for p in store.list("pods", "other")[0]] == ["c"]
    assert [p["metadata"]["name"] for p in store.list("pods", field_selector="spec.nodeName!=n1")[0]] == ["b"]


def test_list_pages_continue_where_the_last_page_stopped(store: Store) -> None:
    """limit/continue walk every matching object exactly once, in namespace/name order."""
    for index in range(7):
        store.create("configmaps", {"metadata": {"name": f"cm-{index}"}}, namespace="default")
    seen: list[str] = []
    token: str | None = None
    while True:
        page = store.list_page("configmaps", "default", limit=3, continue_token=token)
        seen += [o["metadata"]["name"] for o in page.items]
        token = page.continue_token
        if token is None:
            break
    assert seen == [f"cm-{i}" for i in range(7)]


def test_an_unknown_field_selector_is_a_bad_request(store: Store) -> None:
    """Field selectors only accept the fields the resource declares."""
    with pytest.raises(ApiError) as caught:
        store.list("pods", field_selector="spec.foo=bar")
    assert (caught.value.code, caught.value.reason) == (400, "BadRequest")


def test_watch_backlog_replays_events_after_a_resource_version(store: Store) -> None:
    """watch(since=RV) returns the later events and then delivers new ones to the callback."""
    store.create("pods", pod("a"), namespace="default")
    since = store.resource_version
    store.create("pods", pod("b"), namespace="default")
    live: list[Event] = []
    backlog, unsubscribe = store.watch("pods", since=since, fn=live.append)
    store.delete("pods", "default", "b")
    unsubscribe()
    store.create("pods", pod("c"), namespace="default")
    assert [(e.type, e.obj["metadata"]["name"]) for e in backlog] == [("ADDED", "b")]
    assert [(e.type, e.obj["metadata"]["name"]) for e in live] == [("DELETED", "b")]


def test_watching_from_a_compacted_resource_version_is_410_expired(store: Store) -> None:
    """Once history has been trimmed past an RV, resuming from it is Expired."""
    small = Store(clock=Clock(), history_limit=2)
    for index in range(6):
        small.create("configmaps", {"metadata": {"name": f"c{index}"}}, namespace="default")
    with pytest.raises(ApiError) as caught:
        small.watch("configmaps", since=1, fn=lambda event: None)
    assert (caught.value.code, caught.value.reason) == (410, "Expired")


def test_deleting_a_namespace_marks_it_terminating_for_the_namespace_controller(store: Store) -> None:
    """The namespace stays, Terminating, with its content, until the namespace controller empties it."""
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.create("configmaps", {"metadata": {"name": "c"}}, namespace="team")
    deleted = store.delete("namespaces", None, "team")
    assert deleted["status"]["phase"] == "Terminating"
    assert deleted["metadata"]["deletionTimestamp"]
    assert [c["metadata"]["namespace"] for c in store.list("configmaps")[0]] == ["team"]


def test_updates_are_defaulted_like_creates(store: Store) -> None:
    """A merge patch that replaces the containers list gets container defaults again, so templates compare."""
    store.create("deployments", deployment("web"), namespace="default")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "y"}]}}}}
    patched = store.patch("deployments", "default", "web", patch, content_type="application/merge-patch+json")
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["imagePullPolicy"], container["terminationMessagePolicy"]) == (
        "y",
        "Always",
        "File",
    )


def test_bulk_create_without_copies_adopts_the_manifest(store: Store) -> None:
    """create(copy=False) stores the given dict itself and returns the stored object."""
    manifest = pod("bulk")
    stored = store.create("pods", manifest, namespace="default", copy=False)
    assert stored is manifest
    assert store.get("pods", "default", "bulk")["metadata"]["uid"] == manifest["metadata"]["uid"]
