"""Specification of label and field selectors (kubernetes.md §7.7)."""

from __future__ import annotations

import pytest

from kubesim.errors import ApiError
from kubesim.selectors import (
    label_selector_from_dict,
    label_selector_to_string,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "web", "tier": "front", "version": "3"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (db, web)", True),
        ("app notin (db,web)", False),
        ("missing notin (a)", True),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=web,tier in (front),!missing", True),
        ("app=web,tier=back", False),
        ("version>2", True),
        ("version<2", False),
        ("", True),
    ],
)
def test_label_selector_syntax_matches_like_the_api_server(selector: str, expected: bool) -> None:
    """Each operator of the query syntax, alone and combined with commas (AND)."""
    assert parse_label_selector(selector).matches(LABELS) is expected


@pytest.mark.parametrize("selector", ["app=", "=web", "app in web", "a,,b", "app in (a"])
def test_nonsense_label_selectors_are_bad_requests(selector: str) -> None:
    """Unparseable label selectors are 400 BadRequest (`app=` is valid: an empty value)."""
    if selector == "app=":
        assert not parse_label_selector(selector).matches(LABELS)
        return
    with pytest.raises(ApiError) as caught:
        parse_label_selector(selector)
    assert caught.value.code == 400


def test_structured_selectors_follow_policy_v1_null_and_empty_rules() -> None:
    """None matches nothing, {} matches everything, expressions use In/NotIn/Exists/DoesNotExist."""
    assert not label_selector_from_dict(None).matches(LABELS)
    assert label_selector_from_dict({}).matches(LABELS)
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert label_selector_from_dict(selector).matches(LABELS)
    assert label_selector_to_string(selector) == "app=web,tier in (front,edge),!canary"


POD = {
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.5"},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("spec.nodeName=node-1", True),
        ("spec.nodeName==node-2", False),
        ("spec.nodeName!=node-2", True),
        ("metadata.name=web-1,metadata.namespace=default", True),
        ("status.phase=Running,status.podIP=10.0.0.5", True),
        ("spec.hostNetwork=false", True),
        ("status.nominatedNodeName=", True),
    ],
)
def test_pod_field_selectors(selector: str, expected: bool) -> None:
    """Pods support the PS field set; missing booleans read as false and missing strings as empty."""
    assert parse_field_selector(selector, "pods").matches(POD) is expected


def test_node_field_selectors_know_spec_unschedulable() -> None:
    """Nodes can be selected by spec.unschedulable, which reads false when absent."""
    selector = parse_field_selector("spec.unschedulable=false", "nodes")
    assert selector.matches({"metadata": {"name": "n"}, "spec": {}})
    assert not selector.matches({"metadata": {"name": "n"}, "spec": {"unschedulable": True}})


@pytest.mark.parametrize(
    ("selector", "resource"),
    [("spec.nodeName=x", "deployments"), ("spec.unschedulable=true", "pods"), ("nonsense", "pods")],
)
def test_unknown_fields_are_bad_requests(selector: str, resource: str) -> None:
    """Fields a resource does not declare, and terms without an operator, are 400 BadRequest."""
    with pytest.raises(ApiError) as caught:
        parse_field_selector(selector, resource)
    assert (caught.value.code, caught.value.reason) == (400, "BadRequest")


def test_field_selector_exposes_the_node_name_for_the_index() -> None:
    """`equals` reports the spec.nodeName a list can answer from the node index."""
    assert parse_field_selector("spec.nodeName=node-1,status.phase!=Failed", "pods").equals(
        "spec.nodeName"
    ) == ("node-1")
    assert parse_field_selector("spec.nodeName!=node-1", "pods").equals("spec.nodeName") is None
