"""No plan, no run: an approved job runs only on a plan job that finished, and compares against it.

The approved job reads the witnesses its plan job returned. A plan that failed, was cancelled or
stopped, or did not finish in time, gives nothing to compare, so the job refuses to act (finding 15
of the security review: such a job used to run without the "cluster changed" check).
"""

from __future__ import annotations

import fakeredis
import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from shared.messages import jobs as messages
from workers import runtime
from workers.errors import StalePlan

PLAN = "job-abc-plan"


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


def plan_job(connection: Redis, status: JobStatus) -> None:
    """A plan job as RQ keeps it, with ``status`` (a finished one is run for real in tests/bot/test_approved_jobs.py)."""
    job = Job.create("workers.jobs.drain", id=PLAN, connection=connection, serializer=JSONSerializer)
    job.save()
    job.set_status(status)


@pytest.mark.parametrize(
    ("status", "said"),
    [(JobStatus.FAILED, "failed"), (JobStatus.CANCELED, "canceled"), (JobStatus.STOPPED, "stopped")],
)
def test_a_plan_that_did_not_finish_stops_the_approved_job(
    connection: Redis, status: JobStatus, said: str
) -> None:
    """A failed, cancelled or stopped plan: the job refuses, saying why, and changes nothing."""
    plan_job(connection, status)
    with pytest.raises(StalePlan) as refused:
        runtime.approved_witnesses(connection, plan_job=PLAN)
    assert str(refused.value) == messages.approved_plan_unfinished(plan_job=PLAN, status=said)


def test_a_plan_still_running_past_the_wait_stops_the_approved_job(
    connection: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan that never ends (a timed-out, hung worker): after the wait the job refuses."""
    monkeypatch.setattr(runtime, "PLAN_WAIT_SECONDS", 0.3)
    plan_job(connection, JobStatus.STARTED)
    with pytest.raises(StalePlan) as refused:
        runtime.approved_witnesses(connection, plan_job=PLAN)
    assert str(refused.value) == messages.approved_plan_unfinished(plan_job=PLAN, status="timed out")


def test_a_plan_that_is_gone_stops_the_approved_job(connection: Redis) -> None:
    """No plan job at all (forgotten, or never run): the job refuses."""
    with pytest.raises(StalePlan):
        runtime.approved_witnesses(connection, plan_job=PLAN)
