"""Validation and admission as kube-apiserver does them (issue 14): the 422 Invalid Status with the
server's causes, NamespaceLifecycle's 404 and 403, and dry runs judged like the write they plan.

The messages are the API server's own words (tests/fidelity compares them with a real one)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.errors import ApiError
from kubesim.faults import Faults
from kubesim.store import Store
from tests.kubesim.conftest import Http

MERGE = "application/merge-patch+json"


@pytest.fixture(name="store")
def fixture_store() -> Store:
    return Store(clock=Clock(speed=200.0))


def deployment(name: str, *, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    template = {
        "metadata": {"labels": labels or {"app": name}},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": template, **spec},
    }


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.to_status()


def test_an_invalid_write_is_a_422_status_with_the_servers_causes_in_its_field_order(http: Http) -> None:
    """replicas -1: the Status body byte for byte as kube-apiserver writes it, newline included."""
    http("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web"))
    reply = http(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/web",
        {"spec": {"replicas": -1}},
        content_type=MERGE,
    )
    assert reply.status == 422
    assert reply.body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Deployment.apps \\"web\\" '
        b'is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0","reason":"Invalid",'
        b'"details":{"name":"web","group":"apps","kind":"Deployment","causes":[{"reason":"FieldValueInvalid",'
        b'"message":"Invalid value: -1: must be greater than or equal to 0","field":"spec.replicas"}]},"code":422}\n'
    )


def test_several_problems_are_listed_in_brackets(store: Store) -> None:
    """A Deployment without a selector: the selector is required and so selects nothing of the template."""
    body = deployment("loose")
    del body["spec"]["selector"]
    status = refusal(lambda: store.create("deployments", body, namespace="default"))
    assert status["message"] == (
        'Deployment.apps "loose" is invalid: [spec.selector: Required value, spec.template.metadata.labels: '
        'Invalid value: {"app":"loose"}: `selector` does not match template `labels`]'
    )
    assert [(c["reason"], c["field"]) for c in status["details"]["causes"]] == [
        ("FieldValueRequired", "spec.selector"),
        ("FieldValueInvalid", "spec.template.metadata.labels"),
    ]


@pytest.mark.parametrize(
    ("resource", "body", "field", "message"),
    [
        (
            "pods",
            {"metadata": {"name": "p"}, "spec": {"containers": []}},
            "spec.containers",
            "Required value",
        ),
        (
            "pods",
            {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}},
            "spec.containers[0].image",
            "Required value",
        ),
        (
            "configmaps",
            {"metadata": {"name": "c", "labels": {"bad label": "x"}}},
            "metadata.labels",
            "Invalid value: \"bad label\": name part must consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
        (
            "configmaps",
            {"metadata": {"name": "Bad_Name"}},
            "metadata.name",
            'Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
            "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
            "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        ("configmaps", {"metadata": {}}, "metadata.name", "Required value: name or generateName is required"),
        (
            "deployments",
            deployment(
                "stuck",
                strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
            ),
            "spec.strategy.rollingUpdate.maxUnavailable",
            "Invalid value: 0: may not be 0 when `maxSurge` is 0",
        ),
    ],
    ids=["no-containers", "no-image", "label-key", "name", "no-name", "rollout-that-cannot-progress"],
)
def test_creates_that_break_a_rule_are_refused(
    store: Store, resource: str, body: dict[str, Any], field: str, message: str
) -> None:
    status = refusal(lambda: store.create(resource, body, namespace="default"))
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert [(c["field"], c["message"]) for c in status["details"]["causes"]] == [(field, message)]


def test_a_workloads_selector_cannot_change(store: Store) -> None:
    store.create("deployments", deployment("web"), namespace="default")
    patch = {
        "spec": {
            "selector": {"matchLabels": {"app": "web", "x": "y"}},
            "template": {"metadata": {"labels": {"x": "y"}}},
        }
    }
    status = refusal(lambda: store.patch("deployments", "default", "web", patch, content_type=MERGE))
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: {"matchLabels":{"app":"web","x":"y"}}: field is immutable',
            "field": "spec.selector",
        }
    ]


def test_a_namespace_that_does_not_exist_is_404(store: Store) -> None:
    status = refusal(lambda: store.create("configmaps", {"metadata": {"name": "x"}}, namespace="nowhere"))
    assert (status["code"], status["message"], status["details"]) == (
        404,
        'namespaces "nowhere" not found',
        {"name": "nowhere", "kind": "namespaces"},
    )


def test_nothing_new_goes_into_a_terminating_namespace_until_the_controller_has_emptied_it() -> None:
    """Deleting a namespace marks it Terminating; creates there are 403 NamespaceTerminating; the namespace
    controller deletes the content, waits for its finalizers, then the namespace goes."""
    store = Store(clock=Clock(speed=200.0))
    controllers = ControllerManager(store, faults=Faults())
    store.create("namespaces", {"metadata": {"name": "doomed"}})
    store.create(
        "configmaps", {"metadata": {"name": "held", "finalizers": ["chatops.test/held"]}}, namespace="doomed"
    )
    store.delete("namespaces", None, "doomed")
    controllers.settle(timeout=5.0)
    status = refusal(lambda: store.create("configmaps", {"metadata": {"name": "late"}}, namespace="doomed"))
    assert (status["code"], status["message"]) == (
        403,
        'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    )
    assert status["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": "namespace doomed is being terminated",
            "field": "metadata.namespace",
        }
    ]
    namespace = store.get("namespaces", None, "doomed")
    remaining = {c["type"]: c["message"] for c in namespace["status"]["conditions"]}
    assert remaining["NamespaceFinalizersRemaining"] == (
        "Some content in the namespace has finalizers remaining: chatops.test/held in 1 resource instances"
    )
    assert store.get("configmaps", "doomed", "held")["metadata"]["deletionTimestamp"]
    store.patch("configmaps", "doomed", "held", {"metadata": {"finalizers": None}}, content_type=MERGE)
    controllers.settle(timeout=5.0)
    assert store.find("namespaces", None, "doomed") is None
    controllers.close()


def test_every_namespace_gets_a_default_service_account() -> None:
    store = Store(clock=Clock(speed=200.0))
    controllers = ControllerManager(store, faults=Faults())
    store.create("namespaces", {"metadata": {"name": "team"}})
    controllers.settle(timeout=5.0)
    assert store.find("serviceaccounts", "team", "default") is not None
    controllers.close()


def test_a_dry_run_is_defaulted_judged_and_bumps_the_generation_like_the_write(store: Store) -> None:
    store.create("deployments", deployment("web"), namespace="default")
    planned = store.patch(
        "deployments", "default", "web", {"spec": {"replicas": 5}}, content_type=MERGE, dry_run=True
    )
    assert (planned["spec"]["replicas"], planned["metadata"]["generation"]) == (5, 2)
    stored = store.get("deployments", "default", "web")
    assert (stored["spec"]["replicas"], stored["metadata"]["generation"]) == (1, 1)
    refused = refusal(
        lambda: store.patch(
            "deployments", "default", "web", {"spec": {"replicas": -1}}, content_type=MERGE, dry_run=True
        )
    )
    assert refused["code"] == 422
    created = store.create(
        "pods",
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        namespace="default",
        dry_run=True,
    )
    assert created["spec"]["restartPolicy"] == "Always"
    assert store.find("pods", "default", "p") is None


def test_unknown_fields_are_a_400_under_strict_validation_and_a_warning_otherwise(http: Http) -> None:
    """kubectl sends fieldValidation=Strict; without it the server warns and stores the known fields."""
    body = {"metadata": {"name": "c", "bogus2": 1}, "bogus": 1, "data": {"a": "b"}}
    strict = http("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body)
    assert (strict.status, strict.json()["message"]) == (
        400,
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "metadata.bogus2", unknown field "bogus"',
    )
    warned = http("POST", "/api/v1/namespaces/default/configmaps", body)
    assert warned.status == 201
    assert warned.headers["Warning"] == '299 - "unknown field \\"metadata.bogus2\\""'
    stored = http("GET", "/api/v1/namespaces/default/configmaps/c").json()
    assert ("bogus" in stored, "bogus2" in stored["metadata"], stored["data"]) == (False, False, {"a": "b"})
