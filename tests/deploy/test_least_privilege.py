"""Least privilege, proven: the workers' ClusterRole grants every request the operations make, and no more.

Every operation runs against kubesim, which records each request as the API server's authorizer sees
it (verb, API group, resource/subresource, namespace); each is then held against the rules of the
ClusterRole rendered from deploy/, the way RBAC evaluates them.

Secret export is opt-in: the workers' own ClusterRole lists no Secrets, and only the
``components/secret-export`` component grants it. The operations include a ``backup secrets``, so the
role is proven complete with that component and short of exactly that one request without it.
"""

from __future__ import annotations

import dataclasses

from kubesim.audit import RequestInfo
from tests.deploy import rbac
from tests.deploy.manifests import Obj, find
from tests.deploy.operations import UNOBSERVED
from tests.workers.harness import Outcome

Audited = tuple[list[tuple[str, Outcome]], list[RequestInfo]]


def worker_rules(objects: list[Obj]) -> list[rbac.PolicyRule]:
    """Every rule the rendered bindings grant the workers' ServiceAccount."""
    return rbac.bound_rules(objects, namespace="chatops", service_account="chatops-worker")


def test_every_operation_ran_to_its_expected_end(audited: Audited) -> None:
    """The suite really exercised the jobs: each finished, and the budget-blocked drain timed out."""
    outcomes, requests = audited
    ended = {name: outcome.status for name, outcome in outcomes}
    assert ended.pop("drain (blocked by web-pdb)") == "failed"
    for name, *_ in UNOBSERVED:
        assert ended.pop(name) == "failed"
    assert set(ended.values()) == {"finished"}, ended
    assert len(requests) > len(outcomes)


def test_the_operations_make_requests_of_every_kind_of_verb_they_need(audited: Audited) -> None:
    """Reads, patches, evictions and subresources all appear in the record (the check is not vacuous)."""
    _, requests = audited
    seen = {(info.verb, info.api_group, info.resource_path) for info in requests if info.is_resource_request}
    assert {
        ("create", "", "pods/eviction"),
        ("patch", "", "nodes"),
        ("patch", "apps", "deployments"),
        ("patch", "apps", "deployments/scale"),
        ("get", "policy", "poddisruptionbudgets"),
        ("list", "", "pods"),
        ("watch", "apps", "deployments"),
        ("list", "apps", "controllerrevisions"),
    } <= seen


def test_with_secret_export_the_workers_are_granted_every_request_of_every_operation(
    audited: Audited, with_secret_export: list[Obj]
) -> None:
    """Nothing the operations asked for would be refused with 403 Forbidden."""
    _, requests = audited
    report = rbac.check(worker_rules(with_secret_export), requests)
    assert report.refused == (), [str(grant) for grant in report.refused]


def test_without_secret_export_only_the_secret_backup_is_refused_in_either_overlay(
    audited: Audited, rendered: dict[str, list[Obj]]
) -> None:
    """The overlays as shipped grant every request but ``list secrets`` (made by ``backup secrets`` alone)."""
    _, requests = audited
    secret_reads = {info for info in requests if info.resource == "secrets"}
    assert secret_reads, "no operation read Secrets: the opt-in is not exercised"
    for objects in rendered.values():
        report = rbac.check(worker_rules(objects), requests)
        assert [str(grant) for grant in report.refused] == ["list secrets"]
        assert rbac.check(worker_rules(objects), [i for i in requests if i not in secret_reads]).refused == ()


def test_no_role_of_the_overlays_as_shipped_names_secrets(rendered: dict[str, list[Obj]]) -> None:
    """Not the workers' ClusterRole nor any other: Secrets are listed only with the opt-in component."""
    for name, objects in rendered.items():
        for obj in objects:
            if obj["kind"] in ("Role", "ClusterRole"):
                for rule in obj.get("rules") or []:
                    assert not {"secrets", "*"} & set(rule.get("resources") or []), (name, obj["metadata"])


def test_the_secret_export_component_adds_only_list_secrets(
    rendered: dict[str, list[Obj]], with_secret_export: list[Obj]
) -> None:
    """The opt-in grants exactly one verb on one resource, and changes nothing else of the workers' rights."""
    shipped = {str(g) for rule in worker_rules(rendered["single-cluster"]) for g in rule.grants()}
    opted_in = {str(g) for rule in worker_rules(with_secret_export) for g in rule.grants()}
    assert opted_in - shipped == {"list secrets"}
    assert shipped <= opted_in


def test_the_worker_cluster_role_grants_nothing_the_operations_do_not_use(
    audited: Audited, with_secret_export: list[Obj]
) -> None:
    """Every verb on every resource in the role was used by some operation: no spare privilege."""
    _, requests = audited
    report = rbac.check(worker_rules(with_secret_export), requests)
    assert report.unused == (), [str(grant) for grant in report.unused]


def test_the_check_fails_when_any_one_verb_is_removed_from_the_role(
    audited: Audited, with_secret_export: list[Obj]
) -> None:
    """Dropping any single verb of any rule makes the operations ask for something refused."""
    _, requests = audited
    rules = worker_rules(with_secret_export)
    for index, rule in enumerate(rules):
        for verb in rule.verbs:
            weaker = [
                *rules[:index],
                dataclasses.replace(rule, verbs=tuple(v for v in rule.verbs if v != verb)),
            ]
            weaker.extend(rules[index + 1 :])
            report = rbac.check(weaker, requests)
            assert report.refused, f"removing {verb} on {rule.resources} went unnoticed"


def test_removing_eviction_from_the_role_is_reported_as_the_refused_request(
    audited: Audited, with_secret_export: list[Obj]
) -> None:
    """Without ``create pods/eviction`` the report names exactly that request."""
    _, requests = audited
    rules = [rule for rule in worker_rules(with_secret_export) if rule.resources != ("pods/eviction",)]
    report = rbac.check(rules, requests)
    assert [str(grant) for grant in report.refused] == ["create pods/eviction"]


def test_a_grant_no_operation_uses_is_reported_as_unused(
    audited: Audited, with_secret_export: list[Obj]
) -> None:
    """Adding ``delete pods`` (a drain that skips the Eviction API) shows up as spare privilege."""
    _, requests = audited
    rules = [
        *worker_rules(with_secret_export),
        rbac.PolicyRule(verbs=("delete",), api_groups=("",), resources=("pods",)),
    ]
    report = rbac.check(rules, requests)
    assert [str(grant) for grant in report.unused] == ["delete pods"]
    assert report.refused == ()


def test_the_bot_has_no_role_at_all(rendered: dict[str, list[Obj]]) -> None:
    """No binding names the bot's ServiceAccount, and its pods mount no API token."""
    objects = rendered["single-cluster"]
    for obj in objects:
        if obj["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            assert all(subject["name"] != "chatops-bot" for subject in obj.get("subjects") or [])
    assert find(objects, "ServiceAccount", "chatops-bot")["automountServiceAccountToken"] is False
    bot = find(objects, "Deployment", "chatops-bot")
    assert bot["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
