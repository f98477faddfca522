"""A queued job survives a Redis restart (AOF) and runs once; the same job id enqueued twice runs once."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis

from bot.core.jobevents import EventKind, RequestContext
from bot.core.jobs import JobSpec
from bot.dispatch import RQDispatcher
from kubesim.server import Simulator
from tests.drills.conftest import StartWorker
from tests.drills.workers import final_event
from tests.support.drills import Family, Tally
from tests.support.redis_server import RedisServer
from tests.workers.harness import JobRunner, kinds, read_events

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def cordon_spec(job_id: str, node: str) -> JobSpec:
    """The job the bot would enqueue for ``cordon NODE``."""
    request = RequestContext(job_id=job_id, user="U1", channel="C1", thread_ts="1.0", cluster="default")
    return JobSpec(
        job_id=job_id,
        function="workers.jobs.cordon",
        cluster="default",
        description=f"cordon {node}",
        kwargs={"node": node, "request": request.to_json()},
    )


@pytest.mark.parametrize("kill", [False, True], ids=["clean-restart", "killed-server"])
def test_a_job_queued_before_a_redis_restart_runs_exactly_once(
    sim: Simulator, kubeconfig: Path, tmp_path: Path, start_worker: StartWorker, kill: bool, *, drill: Tally
) -> None:
    """Redis stops (cleanly or SIGKILL) with a cordon queued; after the restart a worker runs it once."""
    server = RedisServer(tmp_path / "redis-aof")
    server.start()
    try:
        connection = Redis.from_url(server.url)
        runner = JobRunner(kubeconfig, connection=connection)
        job_id = runner.enqueue("cordon", node="node-2")
        server.stop(kill=kill)
        server.start()
        worker = start_worker(burst=True, url=server.url)
        assert worker.wait() == 0, worker.output()
        started = kinds(read_events(connection, job_id)).count(EventKind.STARTED)
        drill.tried(Family.REDIS_RESTART)
        drill.lost(Family.REDIS_RESTART, int(started == 0))
        drill.duplicated(Family.REDIS_RESTART, started - 1)
        assert final_event(connection, job_id).kind == EventKind.SUCCEEDED
        assert kinds(read_events(connection, job_id)).count(EventKind.STARTED) == 1
        assert runner.outcome(job_id).status == "finished"
        assert sim.store.get("nodes", None, "node-2")["spec"]["unschedulable"] is True
        connection.close()
    finally:
        server.stop()


def test_the_same_job_id_enqueued_twice_runs_once(
    sim: Simulator, dispatcher: RQDispatcher, connection: Redis, start_worker: StartWorker, drill: Tally
) -> None:
    """A redelivered chat message submits the same id: the second submission is a duplicate, one run."""
    spec = cordon_spec("job-redelivered", "node-3")
    assert dispatcher.submit(spec).duplicate is False
    assert dispatcher.submit(spec).duplicate is True
    worker = start_worker(burst=True)
    assert worker.wait() == 0, worker.output()
    assert dispatcher.submit(spec).duplicate is True
    worker = start_worker(burst=True)
    assert worker.wait() == 0, worker.output()
    events = read_events(connection, spec.job_id)
    drill.tried(Family.DUPLICATE_DELIVERY, 2)
    drill.lost(Family.DUPLICATE_DELIVERY, int(EventKind.SUCCEEDED not in kinds(events)))
    drill.duplicated(Family.DUPLICATE_DELIVERY, kinds(events).count(EventKind.STARTED) - 1)
    assert kinds(events).count(EventKind.STARTED) == 1
    assert kinds(events).count(EventKind.SUCCEEDED) == 1
    assert sim.store.get("nodes", None, "node-3")["spec"]["unschedulable"] is True
