"""A worker (or its work-horse) SIGKILLed mid-drain: noticed in bounded time, reported, and finished by a re-run.

Nothing may be lost or duplicated: after the re-run every ReplicaSet pod that was on node-1 was replaced
exactly once, the Deployment runs its 12 replicas elsewhere, and node-1 stays cordoned.
"""

from __future__ import annotations

import os
import random
import signal

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from benchmarks.drain import BUSY_NODE, ready_pods
from bot.core.jobevents import EventKind
from kubesim.server import Simulator
from tests.drills.conftest import REPLICAS, PodCreations, StartWorker, count_drain_outcome
from tests.drills.workers import (
    DETECTION_BOUND_SECONDS,
    evicted_so_far,
    final_event,
    pid_alive,
    wait_until,
)
from tests.support.drills import Family, Tally
from tests.workers.harness import JobRunner
from workers.locks import lock_key

pytestmark = [pytest.mark.redis, pytest.mark.slow]


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


def kill_mid_drain(runner: JobRunner, connection: Redis, *, after: int) -> str:
    """Enqueue a drain of node-1 and wait until ``after`` pods were evicted; returns the job id."""
    job_id = runner.enqueue("drain", node=BUSY_NODE)
    wait_until(lambda: len(evicted_so_far(connection, job_id)) >= after, what=f"{after} evictions")
    return job_id


def test_a_worker_killed_mid_drain_is_reported_failed_and_a_rerun_finishes_the_drain(
    sim: Simulator,
    runner: JobRunner,
    connection: Redis,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    drill: Tally,
) -> None:
    """SIGKILL the worker after 1 to 10 evictions: the other worker reports what was done and frees the lock."""
    before = original_pods(sim)
    doomed = start_worker()
    after = random.randint(1, REPLICAS - 2)
    job_id = kill_mid_drain(runner, connection, after=after)
    horse = doomed.horse_pid()
    standby = start_worker()
    doomed.kill()

    failed = final_event(connection, job_id, seconds=DETECTION_BOUND_SECONDS + 10)
    assert failed.kind == EventKind.FAILED
    assert "stopped without finishing" in failed.text
    assert failed.details["worker_died"] is True
    assert set(failed.details["evicted"]) >= set(evicted_so_far(connection, job_id)[:after])
    assert "node/node-1 cordoned" in " ".join(failed.details["done"])
    assert failed.details["lock_released"] is True
    assert connection.get(lock_key(f"node/{BUSY_NODE}", cluster="default")) is None
    job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    assert job.get_status(refresh=True) == "failed"
    assert horse is not None
    wait_until(lambda: not pid_alive(horse), what="the orphaned work-horse to die with its worker")

    rerun = runner.enqueue("drain", node=BUSY_NODE)
    assert final_event(connection, rerun).kind == EventKind.SUCCEEDED
    assert standby.process.poll() is None
    assert_drained_without_loss_or_duplicates(sim, before, creations, drill)


def test_a_killed_work_horse_is_reported_by_its_worker_and_a_rerun_finishes_the_drain(
    sim: Simulator,
    runner: JobRunner,
    connection: Redis,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    drill: Tally,
) -> None:
    """SIGKILL only the horse: its own worker reports the job failed at once and works the re-run."""
    before = original_pods(sim)
    worker = start_worker()
    job_id = kill_mid_drain(runner, connection, after=random.randint(1, REPLICAS - 2))
    horse = worker.horse_pid()
    assert horse is not None
    os.kill(horse, signal.SIGKILL)

    failed = final_event(connection, job_id, seconds=10)
    assert failed.kind == EventKind.FAILED
    assert "the process running it was killed" in failed.text
    assert connection.get(lock_key(f"node/{BUSY_NODE}", cluster="default")) is None
    wait_until(
        lambda: Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == "failed",
        what="RQ to record the failure",
    )

    rerun = runner.enqueue("drain", node=BUSY_NODE)
    assert final_event(connection, rerun).kind == EventKind.SUCCEEDED
    assert worker.process.poll() is None
    assert_drained_without_loss_or_duplicates(sim, before, creations, drill)
