"""A worker (or its work-horse) SIGKILLed at a random point of a drain: noticed in bounded time, reported, and finished by a re-run.

Nothing may be lost or duplicated: after the re-run every ReplicaSet pod that was on node-1 was replaced
exactly once, the Deployment runs its 12 replicas elsewhere, and node-1 stays cordoned.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from benchmarks.drain import BUSY_NODE, ready_pods
from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.drills.conftest import REPLICAS, PodCreations, StartWorker, count_drain_outcome
from tests.drills.workers import (
    DETECTION_BOUND_SECONDS,
    evicted_so_far,
    final_event,
    pid_alive,
    wait_until,
)
from tests.support.drills import Family, Tally
from tests.workers.harness import JobRunner, kinds, read_events
from workers.locks import lock_key

pytestmark = [pytest.mark.redis, pytest.mark.slow]

EVICTION_SECONDS = 0.3
"""About one eviction's time at the drill's speed (the pod ends, its replacement turns Ready)."""


def original_pods(sim: Simulator) -> set[str]:
    """The shop pods on node-1 before the drill."""
    return {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}


def assert_drained_without_loss_or_duplicates(
    sim: Simulator, before: set[str], creations: PodCreations, drill: Tally
) -> None:
    """node-1 is cordoned and empty; each original pod was replaced once; 12 replicas run elsewhere."""
    assert sim.store.get("nodes", None, BUSY_NODE)["spec"]["unschedulable"] is True
    count_drain_outcome(sim, before, creations, drill=drill, family=Family.DRAIN_KILL)
    wait_until(lambda: len(ready_pods(sim)) == REPLICAS, what="all replicas Ready again")
    running = ready_pods(sim)
    assert not {p["metadata"]["name"] for p in running} & before
    assert all(p["spec"]["nodeName"] != BUSY_NODE for p in running)
    assert len(creations.names) == len(set(creations.names)) == len(before)
    assert sim.store.get("deployments", "default", "shop")["spec"]["replicas"] == REPLICAS


def kill_point(runner: JobRunner, connection: Redis, chance: random.Random) -> tuple[str, int]:
    """Enqueue a drain of node-1 and wait for a random point of it, drawn over the whole drain: after 0 to
    11 of the 12 evictions (0: once the job started), and a further random fraction of an eviction's time.
    Returns the job id and the evictions waited for."""
    job_id = runner.enqueue("drain", node=BUSY_NODE)
    after = chance.randint(0, REPLICAS - 1)
    if after == 0:
        wait_until(
            lambda: EventKind.STARTED in kinds(read_events(connection, job_id)), what="the drain to start"
        )
    else:
        wait_until(lambda: len(evicted_so_far(connection, job_id)) >= after, what=f"{after} evictions")
    time.sleep(chance.uniform(0.0, EVICTION_SECONDS))
    return job_id, after


def rerun_and_count(
    sim: Simulator,
    runner: JobRunner,
    *,
    connection: Redis,
    before: set[str],
    creations: PodCreations,
    drill: Tally,
    killed_at: float,
) -> None:
    """Re-run the drain, check nothing was lost or duplicated and report how long recovery took."""
    rerun = runner.enqueue("drain", node=BUSY_NODE)
    assert final_event(connection, rerun).kind == EventKind.SUCCEEDED
    assert_drained_without_loss_or_duplicates(sim, before, creations, drill)
    drill.recovered(Family.DRAIN_KILL, time.monotonic() - killed_at)


@pytest.mark.drill(Family.DRAIN_KILL, trials=20, quick=1)
def test_a_worker_killed_at_a_random_point_of_a_drain_is_reported_failed_and_a_rerun_finishes_it(
    sim: Simulator,
    runner: JobRunner,
    connection: Redis,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """SIGKILL the worker anywhere in the drain: the other worker reports what was done and frees the lock."""
    before = original_pods(sim)
    doomed = start_worker()
    job_id, after = kill_point(runner, connection, chance)
    horse = doomed.horse_pid()
    standby = start_worker()
    evicted = evicted_so_far(connection, job_id)
    doomed.kill()
    killed_at = time.monotonic()

    ending = final_event(connection, job_id, seconds=DETECTION_BOUND_SECONDS + 10)
    if ending.kind == EventKind.FAILED:  # else the kill came after the drain's last step: nothing to report
        assert "stopped without finishing" in ending.text
        assert ending.details["worker_died"] is True
        assert set(ending.details["evicted"]) >= set(evicted)
        if after:
            assert "node/node-1 cordoned" in " ".join(ending.details["done"])
        assert ending.details["lock_released"] is True
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        assert job.get_status(refresh=True) == "failed"
    else:
        assert ending.kind == EventKind.SUCCEEDED, ending.text
    assert connection.get(lock_key(f"node/{BUSY_NODE}", cluster="default")) is None
    if horse is not None:
        wait_until(lambda: not pid_alive(horse), what="the orphaned work-horse to die with its worker")

    rerun_and_count(
        sim,
        runner,
        connection=connection,
        before=before,
        creations=creations,
        drill=drill,
        killed_at=killed_at,
    )
    assert standby.process.poll() is None


@pytest.mark.drill(Family.DRAIN_KILL, trials=5, quick=1)
def test_a_work_horse_killed_at_a_random_point_of_a_drain_is_reported_by_its_worker_and_a_rerun_finishes_it(
    sim: Simulator,
    runner: JobRunner,
    connection: Redis,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """SIGKILL only the horse: its own worker reports the job failed at once and works the re-run."""
    before = original_pods(sim)
    worker = start_worker()
    job_id, _ = kill_point(runner, connection, chance)
    horse = worker.horse_pid()
    if horse is not None:  # None: the drain ended before the kill point
        os.kill(horse, signal.SIGKILL)
    killed_at = time.monotonic()

    ending = final_event(connection, job_id, seconds=10)
    if ending.kind == EventKind.FAILED:
        assert "the process running it was killed" in ending.text
        wait_until(
            lambda: (
                Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == "failed"
            ),
            what="RQ to record the failure",
        )
    else:
        assert ending.kind == EventKind.SUCCEEDED, ending.text
    assert connection.get(lock_key(f"node/{BUSY_NODE}", cluster="default")) is None

    rerun_and_count(
        sim,
        runner,
        connection=connection,
        before=before,
        creations=creations,
        drill=drill,
        killed_at=killed_at,
    )
    assert worker.process.poll() is None
