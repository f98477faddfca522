"""The watch cache's window (issue 14, item 7): history is kept for a realistic number of events, so a
client that falls behind under churn gets 410 Gone and relists; exact lists at a past version; the
remaining count of a paged list; and a compaction on demand, the fault that forces relists."""

from __future__ import annotations

import pytest

from kubesim.clock import Clock
from kubesim.errors import ApiError
from kubesim.store import HISTORY_LIMIT, Store
from tests.kubesim.conftest import Http

MERGE = "application/merge-patch+json"


def churn(store: Store, times: int) -> None:
    for index in range(times):
        store.patch("configmaps", "default", "churned", {"data": {"n": str(index)}}, content_type=MERGE)


def test_a_watch_that_fell_behind_the_window_is_410_gone() -> None:
    store = Store(clock=Clock())
    store.create("configmaps", {"metadata": {"name": "churned"}}, namespace="default")
    behind = store.resource_version
    churn(store, 2 * HISTORY_LIMIT + 1)
    with pytest.raises(ApiError) as caught:
        store.watch("configmaps", since=behind, fn=lambda event: None)
    assert (caught.value.code, caught.value.reason) == (410, "Expired")
    assert caught.value.message.startswith(f"too old resource version: {behind} (")


def test_an_exact_list_shows_the_objects_as_they_were() -> None:
    store = Store(clock=Clock())
    store.create("configmaps", {"metadata": {"name": "churned"}, "data": {"n": "first"}}, namespace="default")
    then = store.resource_version
    churn(store, 3)
    store.create("configmaps", {"metadata": {"name": "later"}}, namespace="default")
    store.delete("configmaps", "default", "churned")
    (was,) = store.objects_at("configmaps", then)
    assert (was["metadata"]["name"], was["data"]) == ("churned", {"n": "first"})
    with pytest.raises(ApiError) as future:
        store.objects_at("configmaps", store.resource_version + 10)
    assert future.value.code == 504


def test_after_a_compaction_old_versions_are_gone(http: Http) -> None:
    http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "a"}})
    version = http("GET", "/api/v1/namespaces/default/configmaps").json()["metadata"]["resourceVersion"]
    http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "b"}})
    exact = f"/api/v1/namespaces/default/configmaps?resourceVersion={version}&resourceVersionMatch=Exact"
    assert [c["metadata"]["name"] for c in http("GET", exact).json()["items"]] == ["a"]
    assert http("POST", "/kubesim/compact").status == 200
    gone = http("GET", exact)
    assert (gone.status, gone.json()["message"]) == (
        410,
        "The resourceVersion for the provided list is too old.",
    )
    watch = http(
        "GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={version}&timeoutSeconds=1"
    )
    assert b'"code":410' in watch.body


def test_a_page_says_how_many_items_remain(http: Http) -> None:
    for index in range(5):
        http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": f"c{index}"}})
    page = http("GET", "/api/v1/namespaces/default/configmaps?limit=2").json()
    assert page["metadata"]["remainingItemCount"] == 3
    filtered = http("GET", "/api/v1/namespaces/default/configmaps?limit=2&labelSelector=a%3Db").json()
    assert "remainingItemCount" not in filtered["metadata"]


def test_an_apply_needs_a_field_manager(http: Http) -> None:
    reply = http(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/nameless",
        raw=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nameless}\n",
        content_type="application/apply-patch+yaml",
    )
    assert (reply.status, reply.json()["message"]) == (
        422,
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    )
