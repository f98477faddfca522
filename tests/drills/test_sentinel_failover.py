"""A Redis Sentinel failover with work pending: the master SIGKILLed at a random point of a drain, with
more jobs queued behind it (the last a random moment before the kill); three sentinels promote the
replica, and the forking workers, given the same ``redis+sentinel://`` URL as the bot, carry on there.

Nothing is lost or doubled: every job starts once and ends once (its events and its RQ result on the
promoted replica), every pod of the drained node is evicted once and replaced once, the twelve
replicas run elsewhere. A worker that exits while Redis is away is started again, as its Deployment
would; the drill workers' liveness is longer than a failover, as it is in production (30 s).
"""

from __future__ import annotations

import collections
import contextlib
import random
import time
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job
from rq.serializers import JSONSerializer

from benchmarks.drain import BUSY_NODE, ready_pods
from bot.dispatch import RQDispatcher
from bot.redis_url import connect
from kubesim.server import Simulator
from shared.jobevents import EventKind, JobEvent, RequestContext
from shared.jobs import JobSpec
from tests.clusters.sentinels import SentinelSetUp, running_sentinel_setup
from tests.drills.conftest import REPLICAS, PodCreations, StartWorker, count_drain_outcome
from tests.drills.workers import WorkerProcess, wait_until
from tests.support.drills import Family, Tally
from tests.support.job_key import TEST_SIGNER
from tests.workers.harness import read_events

pytestmark = [pytest.mark.redis, pytest.mark.slow]

LIVENESS_SECONDS = 10.0
"""Longer than a failover (about 2 to 4 s here): a worker cut off from Redis meanwhile is not dead."""

FAILOVER_TIMEOUT_MS = 5000
"""Sentinel's ``failover-timeout`` here: a sentinel whose failover attempt elected no leader tries again
twice this long later (10 s), so several attempts fit in the client's retry window (``FAILOVER_SECONDS``,
60 s). With 10 s, one trial in 20 of the first volume run (seed 518213, load average 14 on 2 cores)
waited about 61 s for the promotion, most likely for a second or third election; the drain's
work-horse gave up on Redis and the drain was reported failed (README, "Redis failover")."""

FAMILY = Family.SENTINEL_FAILOVER

SHUTDOWN_GRACE_SECONDS = 2.0
"""How long a drill worker has to end after SIGTERM (a healthy one ends in half a second)."""


def spec(job_id: str, function: str, **kwargs: str) -> JobSpec:
    """The job the bot would enqueue (the drain of a node, or the read-only ``nodes``)."""
    request = RequestContext(job_id=job_id, user="U1", channel="C1", thread_ts="1.0", cluster="default")
    return JobSpec(
        job_id=job_id,
        function=f"workers.jobs.{function}",
        cluster="default",
        description=function,
        kwargs={**kwargs, "request": request.to_json()},
    )


class Workers:
    """The drill's worker Deployment: one forking worker, started again whenever it exits."""

    def __init__(self, start_worker: StartWorker, url: str) -> None:
        self._start_worker = start_worker
        self._url = url
        self.current = self._start()
        self.restarts = 0

    def _start(self) -> WorkerProcess:
        return self._start_worker(url=self._url, liveness_seconds=LIVENESS_SECONDS)

    def keep_alive(self) -> None:
        """Replace the worker if it exited."""
        if self.current.process.poll() is not None:
            self.current.stop()
            self.current = self._start()
            self.restarts += 1

    def stop(self) -> None:
        """Stop the worker once every job has ended: SIGTERM, and SIGKILL if it lingers. After a failover
        its warm shutdown sometimes blocks for good in RQ's ``register_death``, reading a reply from the
        promoted master that never comes (README, "Redis failover"); with nothing left to lose, the drill
        does not wait the ten seconds a worker is otherwise given."""
        self.current.stop(grace=SHUTDOWN_GRACE_SECONDS)


def events_of(connection: Redis, job_id: str) -> list[JobEvent] | None:
    """The job's events, or None while Redis cannot be reached (mid-failover)."""
    try:
        return read_events(connection, job_id)
    except RedisError:
        return None


def ended(connection: Redis, job_ids: list[str], workers: Workers) -> bool:
    """True once every job has a final event; keeps the worker alive meanwhile."""
    workers.keep_alive()
    return all(final_in(events_of(connection, job_id)) for job_id in job_ids)


def rq_status(connection: Redis, job_id: str) -> str:
    """The job's status in RQ, on the promoted replica."""
    with contextlib.suppress(RedisError):
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        status = job.get_status(refresh=True)
        return str(status.value if status else "unknown")
    return "missing"


def kill_master(setup: SentinelSetUp) -> None:
    """SIGKILL the master, as a crashed machine stops it; the sentinels notice within a second."""
    setup.kill_server(setup.master_port)


@pytest.mark.drill(FAMILY, trials=20, quick=1)
def test_jobs_pending_and_running_when_the_master_dies_run_once_on_the_promoted_replica(
    sim: Simulator,
    creations: PodCreations,
    start_worker: StartWorker,
    tmp_path: Path,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """The master dies after 0 to 8 evictions of the drain plus up to 0.3 s, with 1 to 3 jobs queued
    behind it; each job runs once on the new master and the drain replaces every pod once."""
    before = {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}
    with running_sentinel_setup(
        tmp_path / "redis", replicas=1, sentinels=3, failover_timeout_ms=FAILOVER_TIMEOUT_MS
    ) as setup:
        connection = connect(setup.url)
        dispatcher = RQDispatcher(connection, signer=TEST_SIGNER)
        drain = dispatcher.submit(spec(f"drain-{trial}", "drain", node=BUSY_NODE)).job_id
        workers = Workers(start_worker, setup.url)
        after = chance.randint(0, REPLICAS - 4)  # at least three evictions (about a second) to go
        wait_until(lambda: len(evictions(connection, drain)) >= after, what=f"{after} evictions", seconds=60)
        pending = [
            dispatcher.submit(spec(f"nodes-{trial}-{n}", "nodes")).job_id for n in range(chance.randint(1, 3))
        ]
        time.sleep(chance.uniform(0.0, 0.3))
        unfinished = [job_id for job_id in [drain, *pending] if not final_in(events_of(connection, job_id))]
        kill_master(setup)
        killed = time.monotonic()
        jobs = [drain, *pending]
        try:
            wait_until(lambda: ended(connection, jobs, workers), what="every job's final event", seconds=90)
        finally:
            events = {job_id: events_of(connection, job_id) or [] for job_id in jobs}
            statuses = {job_id: rq_status(connection, job_id) for job_id in jobs}
            workers.stop()
        count_drain_outcome(sim, before, creations, drill=drill, family=FAMILY)
        recovered = time.monotonic() - killed
    starts = {job_id: [e.kind for e in events[job_id]].count(EventKind.STARTED) for job_id in jobs}
    finals = {job_id: sum(e.kind.is_final for e in events[job_id]) for job_id in jobs}
    evicted = collections.Counter(evictions_in(events[drain]))
    succeeded = {job_id: EventKind.SUCCEEDED in [e.kind for e in events[job_id]] for job_id in jobs}
    drill.lost(FAMILY, sum(1 for job_id in jobs if starts[job_id] == 0 or not succeeded[job_id]))
    drill.duplicated(
        FAMILY,
        sum(max(0, starts[job_id] - 1) + max(0, finals[job_id] - 1) for job_id in jobs)
        + sum(count - 1 for count in evicted.values()),
    )
    drill.recovered(FAMILY, recovered)
    assert unfinished == jobs, "the drill killed the master after some of its jobs had ended"
    assert starts == dict.fromkeys(jobs, 1), events
    assert finals == dict.fromkeys(jobs, 1), events
    assert [e.kind for e in events[drain] if e.kind.is_final] == [EventKind.SUCCEEDED], [
        e.text for e in events[drain] if e.kind.is_final
    ]
    assert statuses == dict.fromkeys(jobs, "finished")
    assert len(evicted) == REPLICAS and set(evicted.values()) == {1}, evicted
    assert len(creations.names) == len(set(creations.names)) == len(before) == REPLICAS
    assert sim.store.get("nodes", None, BUSY_NODE)["spec"]["unschedulable"] is True


def final_in(events: list[JobEvent] | None) -> bool:
    """True when the events include the job's final one."""
    return any(event.kind.is_final for event in events or [])


def evictions(connection: Redis, job_id: str) -> list[str]:
    """The pods a job reported evicted so far (none while Redis cannot be reached)."""
    return evictions_in(events_of(connection, job_id) or [])


def evictions_in(events: list[JobEvent]) -> list[str]:
    """The pods named by a drain's progress events, once per report."""
    return [str(e.details["pod"]) for e in events if e.kind == EventKind.PROGRESS and "pod" in e.details]
