"""Jobs that act as the person who asked, judged by the real API server's RBAC and named in its audit log.

The cluster grants ``alice@example.com`` cordon's permissions (get and patch nodes) and nothing else;
the worker's ServiceAccount may impersonate exactly the policy's people (``impersonation_rules``).
Both beds judge the person by the RBAC objects; only the real server also judges the impersonator.
"""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from kubernetes import utils

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalRequest, ApprovalState, Vote
from bot.core.identities import Identities, KubeIdentity, impersonation_rules
from tests.beds.audit_log import WORKER_USER, impersonated
from tests.beds.view import runner_for, unschedulable
from tests.support.beds import Bed

ALICE = KubeIdentity(user="alice@example.com", groups=("node-tenders",))
MALLORY = KubeIdentity(user="mallory@example.com")
"""Someone the policy does not name: the worker may not act as her."""


def binding(name: str, role: str, subject: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }


@pytest.fixture(name="rbac")
def fixture_rbac(bed: Bed) -> Bed:
    """alice's group may cordon (get, patch nodes); the worker may impersonate the policy's people."""
    role = "rbac.authorization.k8s.io/v1"
    manifests = [
        {
            "apiVersion": role,
            "kind": "ClusterRole",
            "metadata": {"name": "node-tender"},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}],
        },
        binding(
            "node-tenders",
            "node-tender",
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "node-tenders"},
        ),
        {
            "apiVersion": role,
            "kind": "ClusterRole",
            "metadata": {"name": "chatops-worker-impersonate"},
            "rules": impersonation_rules(Identities(people={"U01ALICE": ALICE})),
        },
        binding(
            "chatops-worker-impersonate",
            "chatops-worker-impersonate",
            {"kind": "ServiceAccount", "name": "chatops-worker", "namespace": "chatops"},
        ),
    ]
    # Through the client: kubectl apply would want OpenAPI documents kubesim does not serve for RBAC.
    utils.create_from_dict(bed.api_client, {"apiVersion": "v1", "kind": "List", "items": manifests})
    time.sleep(1)  # RBAC is read from the informer cache: let it see the new bindings
    return bed


def test_a_person_who_may_cordon_cordons_and_the_audit_log_names_them_and_their_approver(
    rbac: Bed,
) -> None:
    """On both beds; the audit log is the real control plane's (kubesim keeps none of impersonation)."""
    runner = runner_for(rbac)
    plan = runner.run("cordon", node="node-3", dry_run=True, act_as=ALICE.to_json())
    assert plan.status == "finished", plan.texts()
    ApprovalStore(runner.connection).create(
        ApprovalRequest(
            approval_id="apr-1", job_id="job-real", requester="U01ALICE", channel="C42", thread_ts="1.1",
            cluster="default", description="cordon node/node-3", approvers=("leads",), count=1,
            created_at=time.time(), expires_at=time.time() + 900, state=ApprovalState.APPROVED,
            votes=(Vote(user="U02BOB", at=time.time()),), decided_by="U02BOB",
        )
    )  # fmt: skip
    approval = {"approval_id": "apr-1", "plan_job": plan.job_id}
    outcome = runner.run("cordon", node="node-3", act_as=ALICE.to_json(), approval=approval)
    assert outcome.status == "finished", outcome.texts()
    assert unschedulable(rbac, "node-3")
    assert "Acting as Kubernetes user `alice@example.com`" in outcome.texts()[0]
    if rbac.audit_log is None:
        return
    acted = [
        event for event in impersonated(rbac.audit_log, impersonator=WORKER_USER) if event["code"] == 200
    ]
    assert acted, "no request of the worker acted as alice"
    assert {event["username"] for event in acted} == {"alice@example.com"}
    assert all(
        "node-tenders" in cast(list[str], event["groups"]) for event in acted
    )  # and system:authenticated
    extra: object = acted[-1]["extra"]
    assert extra == {
        "chatops.io/job-id": [outcome.job_id],
        "chatops.io/approval-id": ["apr-1"],
        "chatops.io/approvers": ["U02BOB"],
    }


def test_a_drain_she_may_not_do_is_refused_before_anything_naming_what_is_missing(rbac: Bed) -> None:
    outcome = runner_for(rbac).run("drain", node="node-2", dry_run=True, act_as=ALICE.to_json())
    assert outcome.status == "failed"
    refusal = outcome.final.text
    assert "`create pods/eviction` (cluster-wide)" in refusal and "`list pods` (cluster-wide)" in refusal, (
        refusal
    )
    assert "`patch nodes`" not in refusal  # that one she has
    assert not unschedulable(rbac, "node-2")


@pytest.mark.control_plane
def test_the_worker_cannot_act_as_someone_the_policy_does_not_name(rbac: Bed) -> None:
    """The real server checks the impersonator's own RBAC (kubesim's caller is its admin)."""
    outcome = runner_for(rbac).run("cordon", node="node-1", act_as=MALLORY.to_json())
    assert outcome.status == "failed"
    assert not unschedulable(rbac, "node-1")
    assert rbac.audit_log is not None
    assert not [
        event for event in impersonated(rbac.audit_log, impersonator=WORKER_USER) if event["code"] == 200
    ]
