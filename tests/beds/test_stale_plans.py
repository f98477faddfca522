"""The stale-plan refusal on both test beds: an approved job runs when the cluster still matches the plan
its approvers saw, and stops, changing nothing, when someone changed the target in between."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.conversation import Message
from bot.core.policy_file import demo_policy
from bot.wiring import build_engine
from shared.jobevents import EventKind
from shared.messages import jobs as job_messages
from tests.beds.view import deployment
from tests.bot.test_approved_jobs import REQUEST_TS, ask, planned, work
from tests.support.beds import Bed
from tests.support.job_key import TEST_JOB_KEY
from tests.support.plans import last_word
from workers import cluster

pytestmark = pytest.mark.redis


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str, bed: Bed) -> Iterator[Redis]:
    """This test's real Redis, with this process's workers pointed at the bed."""
    cluster.configure(kubeconfig=bed.worker_kubeconfig)
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()
    cluster.configure(kubeconfig=None)


def test_an_approved_scale_runs_when_the_deployment_still_matches_its_plan(
    bed: Bed, connection: Redis
) -> None:
    """Plan, approval by a lead, run: web has the approved replicas."""
    engine = build_engine(
        policy=demo_policy(), connection=connection, cluster="default", job_key=TEST_JOB_KEY.encode()
    )
    request = planned(engine, connection, ask(engine, "scale web 5"))
    assert request.approval is not None
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    assert last_word(connection, request.approval.job_id).kind is EventKind.SUCCEEDED
    assert deployment(bed)["spec"]["replicas"] == 5


def test_an_approval_is_void_when_the_deployment_changed_since_the_plan(bed: Bed, connection: Redis) -> None:
    """Someone scales web between the plan and the approval: the job fails naming it, web keeps their change."""
    engine = build_engine(
        policy=demo_policy(), connection=connection, cluster="default", job_key=TEST_JOB_KEY.encode()
    )
    request = planned(engine, connection, ask(engine, "scale web 5"))
    assert request.approval is not None
    bed.apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}})
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    final = last_word(connection, request.approval.job_id)
    assert final.kind is EventKind.FAILED
    assert job_messages.plan_changed_since_approval(["deployment/default/web"]) in final.text
    assert deployment(bed)["spec"]["replicas"] == 4
