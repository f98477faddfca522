"""Jobs that act as the person who asked, judged by the real API server's RBAC and named in its audit log.

The cluster grants ``alice@example.com`` cordon's permissions (get and patch nodes) and nothing else;
the worker's ServiceAccount may impersonate exactly the policy's people (``impersonation_rules``).
Both beds judge the person by the RBAC objects; only the real server also judges the impersonator.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from kubernetes import utils
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalRequest, ApprovalState, Vote
from bot.core.conversation import Engine, Message
from bot.core.policy_file import demo_policy
from bot.wiring import build_engine
from shared.identities import Identities, KubeIdentity, RunAs, impersonation_rules
from shared.jobevents import EventKind
from tests.beds.audit_log import WORKER_USER, impersonated
from tests.beds.view import deployment, runner_for, unschedulable
from tests.bot.test_approved_jobs import REQUEST_TS, ask, planned, work
from tests.support.beds import Bed
from tests.support.job_key import TEST_JOB_KEY
from tests.support.plans import last_word
from workers import cluster

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
            "rules": [
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]},
                {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch"]},
                {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
                {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["list"]},
            ],
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


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str, bed: Bed) -> Iterator[Redis]:
    """This test's real Redis, with this process's workers pointed at the bed."""
    cluster.configure(kubeconfig=bed.worker_kubeconfig)
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()
    cluster.configure(kubeconfig=None)


def engine_as_requester(connection: Redis) -> Engine:
    """The demo policy, with the bed's cluster running jobs as the requester and alice mapped."""
    identities = Identities(run_as={"default": RunAs.REQUESTER}, people={"U_ALICE": ALICE})
    return build_engine(
        policy=dataclasses.replace(demo_policy(), identities=identities),
        connection=connection,
        cluster="default",
        job_key=TEST_JOB_KEY.encode(),
    )


@pytest.mark.redis
def test_through_the_bot_her_drain_is_refused_before_anyone_is_asked(rbac: Bed, connection: Redis) -> None:
    """The plan runs as alice, the cluster refuses it, so no approval request is opened."""
    engine = engine_as_requester(connection)
    planning = ask(engine, "drain node-2")
    work(connection)
    assert planning.job_id is not None
    [refusal] = engine.plans_reported([last_word(connection, planning.job_id)])
    assert refusal.approval is not None and refusal.approval.state is ApprovalState.REFUSED
    assert "No approver was asked" in refusal.text
    assert "`create pods/eviction` (cluster-wide)" in refusal.text, refusal.text
    assert ApprovalStore(connection).pending() == []
    assert not unschedulable(rbac, "node-2")


@pytest.mark.redis
def test_through_the_bot_an_approved_scale_acts_as_her_with_her_approver_on_record(
    rbac: Bed, connection: Redis
) -> None:
    """alice may scale: the plan opens the request, bob approves, the job runs as alice; the audit log
    (real control plane) names alice and bob."""
    engine = engine_as_requester(connection)
    request = planned(engine, connection, ask(engine, "scale web 4"))
    assert request.approval is not None
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    assert last_word(connection, request.approval.job_id).kind is EventKind.SUCCEEDED
    assert deployment(rbac)["spec"]["replicas"] == 4
    if rbac.audit_log is None:
        return
    acted = [
        event for event in impersonated(rbac.audit_log, impersonator=WORKER_USER) if event["code"] == 200
    ]
    approved = [
        event for event in acted if cast(dict[str, list[str]], event["extra"]).get("chatops.io/approvers")
    ]
    assert approved, "no call of the approved job carried its approvers"
    assert {event["username"] for event in approved} == {"alice@example.com"}
    assert all(
        cast(dict[str, list[str]], event["extra"])["chatops.io/approvers"] == ["U_BOB"] for event in approved
    )


NO_LATEST = [
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "no-latest"},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "operations": ["UPDATE"],
                        "resources": ["deployments"],
                    }
                ]
            },
            "validations": [
                {
                    "expression": "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))",
                    "message": "images must be pinned, not :latest",
                }
            ],
        },
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "no-latest"},
        "spec": {"policyName": "no-latest", "validationActions": ["Deny"]},
    },
]
"""The cluster's own rule (a ValidatingAdmissionPolicy): no Deployment may run a ``:latest`` image."""


@pytest.mark.control_plane
def test_a_change_the_cluster_s_admission_refuses_fails_its_plan_in_the_server_s_words(rbac: Bed) -> None:
    """RBAC lets alice patch web, but the plan's dry run meets the cluster's policy: refused, web unchanged."""
    utils.create_from_dict(rbac.api_client, {"apiVersion": "v1", "kind": "List", "items": NO_LATEST})
    runner = runner_for(rbac)
    web = {"deployment": "web", "namespace": "default"}
    before = deployment(rbac)["spec"]["template"]["spec"]["containers"][0]["image"]
    deadline = time.monotonic() + 20
    while True:  # the API server compiles a new policy within a moment
        outcome = runner.run("image", image="nginx:latest", dry_run=True, act_as=ALICE.to_json(), **web)
        if outcome.status == "failed" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert outcome.status == "failed", outcome.texts()
    assert "images must be pinned, not :latest" in outcome.final.text, outcome.final.text
    assert deployment(rbac)["spec"]["template"]["spec"]["containers"][0]["image"] == before
    pinned = runner.run("image", image="nginx:1.28", dry_run=True, act_as=ALICE.to_json(), **web)
    assert pinned.status == "finished", pinned.texts()
