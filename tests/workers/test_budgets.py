"""Label selectors and disruption budgets as the drain reads them."""

from __future__ import annotations

from typing import Any

from workers.budgets import blocking_budget, covering, state_of
from workers.plans import Plan, stale_keys, witness_of
from workers.selectors import matches, to_query


def test_selectors_follow_policy_v1_semantics() -> None:
    """None selects nothing, {} everything; expressions combine with labels."""
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
    }
    assert not matches(None, {"app": "web"})
    assert matches({}, {"anything": "x"})
    assert matches(selector, {"app": "web"})
    assert not matches(selector, {"app": "web", "tier": "db"})


def test_selector_query_string_is_what_list_calls_take() -> None:
    """matchLabels and expressions render as a labelSelector query."""
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}],
    }
    assert to_query(selector) == "app=web,!canary"


def test_a_budget_covers_pods_of_its_namespace_matching_its_selector() -> None:
    """Namespace and labels must both match."""
    budget = {
        "metadata": {"name": "web-pdb", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }
    here = {"metadata": {"namespace": "default", "labels": {"app": "web"}}}
    elsewhere = {"metadata": {"namespace": "shop", "labels": {"app": "web"}}}
    assert covering(here, [budget]) == [budget]
    assert covering(elsewhere, [budget]) == []


def test_the_429_cause_names_the_blocking_budget_and_its_numbers() -> None:
    """The eviction API's DisruptionBudget cause is read into a budget state."""
    status = {
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently",
                }
            ]
        }
    }
    budget = blocking_budget(status, namespace="default")
    assert budget is not None
    assert (budget.key, budget.desired, budget.healthy, budget.allowed) == ("default/web-pdb", 2, 2, 0)


def test_budget_state_reads_the_status_numbers() -> None:
    """desiredHealthy, currentHealthy and disruptionsAllowed."""
    pdb = {
        "metadata": {"name": "p", "namespace": "n"},
        "status": {"desiredHealthy": 2, "currentHealthy": 3, "disruptionsAllowed": 1},
    }
    assert state_of(pdb).allowed == 1


def test_a_plan_records_witnesses_and_detects_staleness() -> None:
    """What a plan read is keyed by kind/namespace/name; a changed spec is stale, a status update is not."""
    web: dict[str, Any] = {
        "metadata": {"namespace": "default", "name": "web", "uid": "u1", "resourceVersion": "7"}
    }
    web |= {"spec": {"replicas": 3}, "status": {"readyReplicas": 3}}
    plan = Plan(action="scale", target="deployment/default/web")
    plan.saw("deployment", web)
    [key] = plan.to_json()["witnesses"]
    assert key == "deployment/default/web"
    status_only = {
        **web,
        "metadata": {**web["metadata"], "resourceVersion": "8"},
        "status": {"readyReplicas": 2},
    }
    scaled = {**web, "spec": {"replicas": 5}}
    replaced = {**web, "metadata": {**web["metadata"], "uid": "u2"}}
    assert stale_keys(plan.witnesses, {key: witness_of(status_only)}) == []
    assert stale_keys(plan.witnesses, {key: witness_of(scaled)}) == [key]
    assert stale_keys(plan.witnesses, {key: witness_of(replaced)}) == [key]
    assert stale_keys(plan.witnesses, {}) == [key]
