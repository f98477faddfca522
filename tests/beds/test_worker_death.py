"""The job-crash drill on both test beds: the forking worker SIGKILLed mid-drain of a busy node, its death
reported by a standby worker, and a re-run that finishes the drain. Nothing is lost or doubled: every
pod that was on node-1 is replaced exactly once (counted from a watch on the API server), the twelve
replicas run elsewhere, node-1 stays cordoned."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from benchmarks.drain import BUSY_NODE, busy_node_scenario
from shared.jobevents import EventKind
from tests.beds.creations import Creations, ready_elsewhere
from tests.beds.view import unschedulable
from tests.drills.workers import (
    DETECTION_BOUND_SECONDS,
    WorkerProcess,
    evicted_so_far,
    final_event,
    wait_until,
)
from tests.support.beds import Bed
from tests.support.drills import Family, Tally
from tests.workers.harness import JobRunner

pytestmark = [pytest.mark.redis, pytest.mark.slow]

REPLICAS = 12
SPARES = ("node-2", "node-3")


@pytest.fixture(name="bed_scenario")
def fixture_bed_scenario(tmp_path: Path) -> Path:
    """node-1 runs all twelve replicas of shop (budget: one unavailable at a time); the spares start cordoned."""
    return busy_node_scenario(
        tmp_path / "busy.yaml", replicas=REPLICAS, spares=len(SPARES), max_unavailable=1
    )


@pytest.fixture(name="creations")
def fixture_creations(bed: Bed) -> Iterator[Creations]:
    for spare in SPARES:
        bed.core.patch_node(spare, {"spec": {"unschedulable": False}})
    creations = Creations(bed)
    yield creations
    creations.close()


def test_a_worker_killed_mid_drain_is_reported_and_a_rerun_finishes_without_loss_or_duplicates(
    bed: Bed, creations: Creations, redis_url: str, tmp_path: Path, *, drill: Tally
) -> None:
    """SIGKILL after 1 to 10 evictions; the standby reports it; the re-run drains the rest."""
    connection = Redis.from_url(redis_url)
    started: list[WorkerProcess] = []

    def start_worker(number: int) -> WorkerProcess:
        name = f"bed-{number}-{tmp_path.name[-10:]}"
        log = tmp_path / f"worker-{number}.log"
        started.append(
            WorkerProcess(name=name, redis_url=redis_url, kubeconfig=bed.worker_kubeconfig, log=log)
        )
        return started[-1]

    try:
        doomed = start_worker(1)
        runner = JobRunner(bed.worker_kubeconfig, connection=connection)
        after = random.randint(1, REPLICAS // 2)
        job_id = runner.enqueue("drain", node=BUSY_NODE)
        wait_until(
            lambda: len(evicted_so_far(connection, job_id)) >= after, what=f"{after} evictions", seconds=120
        )
        start_worker(2)  # the standby, started once the doomed worker has the job
        doomed.kill()
        failed = final_event(connection, job_id, seconds=DETECTION_BOUND_SECONDS + 20)
        assert failed.kind == EventKind.FAILED
        assert failed.details["worker_died"] is True
        rerun = runner.enqueue("drain", node=BUSY_NODE)
        assert final_event(connection, rerun, seconds=180).kind == EventKind.SUCCEEDED, rerun
        wait_until(
            lambda: len(ready_elsewhere(bed)) >= REPLICAS, what="all replicas Ready elsewhere", seconds=60
        )
    finally:
        for worker in started:
            worker.stop()
        connection.close()
    running = set(ready_elsewhere(bed))
    replacements = [name for name in creations.names if name not in creations.before]
    drill.tried(Family.DRAIN_KILL)
    drill.lost(Family.DRAIN_KILL, REPLICAS - len(running))
    drill.duplicated(Family.DRAIN_KILL, len(replacements) - len(creations.before))
    assert unschedulable(bed, BUSY_NODE)
    assert len(running) == REPLICAS and not running & creations.before
    assert len(replacements) == len(set(replacements)) == len(creations.before) == REPLICAS
