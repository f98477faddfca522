"""Queued jobs survive a Redis restart (AOF) and run once; the same job id enqueued twice runs once."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from redis import Redis

from bot.dispatch import RQDispatcher
from kubesim.server import Simulator
from shared.jobevents import EventKind, RequestContext
from shared.jobs import JobSpec
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


@pytest.mark.drill(Family.REDIS_RESTART, trials=10, quick=1)
@pytest.mark.parametrize("kill", [False, True], ids=["clean-restart", "killed-server"])
def test_jobs_queued_before_a_redis_restart_run_exactly_once(
    sim: Simulator,
    kubeconfig: Path,
    tmp_path: Path,
    start_worker: StartWorker,
    kill: bool,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """Redis stops (cleanly or SIGKILL) with 1 to 3 cordons queued, the last one a random moment after it
    was written; after the restart a worker runs each of them once."""
    server = RedisServer(tmp_path / "redis-aof")
    server.start()
    try:
        connection = Redis.from_url(server.url)
        runner = JobRunner(kubeconfig, connection=connection)
        nodes = chance.sample(["node-1", "node-2", "node-3"], chance.randint(1, 3))
        job_ids = [runner.enqueue("cordon", node=node) for node in nodes]
        time.sleep(chance.uniform(0.0, 0.2))
        server.stop(kill=kill)
        server.start()
        restarted = time.monotonic()
        worker = start_worker(burst=True, url=server.url)
        assert worker.wait() == 0, worker.output()
        starts = [kinds(read_events(connection, job_id)).count(EventKind.STARTED) for job_id in job_ids]
        drill.tried(Family.REDIS_RESTART)
        drill.lost(Family.REDIS_RESTART, starts.count(0))
        drill.duplicated(Family.REDIS_RESTART, sum(max(0, started - 1) for started in starts))
        for job_id in job_ids:
            assert final_event(connection, job_id).kind == EventKind.SUCCEEDED
            assert runner.outcome(job_id).status == "finished"
        drill.recovered(Family.REDIS_RESTART, time.monotonic() - restarted)
        assert starts == [1] * len(job_ids)
        for node in nodes:
            assert sim.store.get("nodes", None, node)["spec"]["unschedulable"] is True
        connection.close()
    finally:
        server.stop()


@pytest.mark.drill(Family.DUPLICATE_DELIVERY)
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
