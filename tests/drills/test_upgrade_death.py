"""A worker SIGKILLed at random points of ``upgrade nodes``: re-runs resume, and every node ends upgraded once.

One at a time, node-2 (v1.30.6) and node-3 (v1.28.9) of the default scenario are drained, given the
v1.31.4 kubelet, waited for and uncordoned. The worker running the upgrade is killed after a random
number of the job's events and a random fraction of a second, four times over; each time a standby worker reports the job failed and, once the
dead job's locks are free, the upgrade is enqueued again, resuming from the nodes' checkpoints. At the end every node runs v1.31.4,
is uncordoned and out of maintenance, each kubelet was changed at most once, and every workload runs
its desired replicas again.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from kubesim.server import Simulator
from kubesim.testing import running_simulator
from shared.jobevents import EventKind
from tests.drills.workers import WorkerProcess, final_event, wait_until
from tests.support.drills import Family, Tally
from tests.upgrades.cluster import node_state
from tests.workers.harness import JobRunner, read_events, settled
from workers.locks import UPGRADE_LOCK, lock_key

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SPEED = 10.0
"""Simulated seconds per real second: slow enough that an upgrade spans several seconds to kill it in."""

TARGET = "v1.31.4"
UPGRADED = ("node-2", "node-3")
KILLS = 4
"""How many times each trial kills the upgrade before it is left to finish (each kill is a trial)."""

EVENTS = 25
"""About how many events a whole upgrade of the two nodes publishes: kill points are drawn up to it."""


FLAGS = {"force": True, "delete_emptydir_data": True}
"""The default scenario's bare debug pod and emptyDir pod need these to be drained."""


class KubeletChanges:
    """Every change of a node's kubelet version, as the simulator's store records it."""

    def __init__(self, sim: Simulator) -> None:
        self.versions = {
            node["metadata"]["name"]: node["status"]["nodeInfo"]["kubeletVersion"]
            for node in sim.store.list("nodes")[0]
        }
        self.changes: list[tuple[str, str]] = []
        self._unsubscribe = sim.store.subscribe(self._observe)

    def _observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        if resource != "nodes" or event != "MODIFIED":
            return
        name = obj["metadata"]["name"]
        version = ((obj.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")
        if version and version != self.versions.get(name):
            self.versions[name] = version
            self.changes.append((name, version))

    def close(self) -> None:
        """Stop recording."""
        self._unsubscribe()


@pytest.fixture(name="cluster")
def fixture_cluster() -> Iterator[Simulator]:
    """The default scenario, settled: kubelets v1.31.4 (node-1), v1.30.6 (node-2), v1.28.9 (node-3)."""
    with running_simulator(speed=SPEED) as simulator:
        yield settled(simulator)


def reached(connection: Redis, job_id: str, count: int) -> bool:
    """True once the job published ``count`` events, or ended sooner."""
    events = read_events(connection, job_id)
    return len(events) >= count or any(event.kind.is_final for event in events)


def held_locks(connection: Redis) -> list[str]:
    """The upgrade's locks still held: ``cluster/upgrade`` and those of the nodes it upgrades."""
    targets = [UPGRADE_LOCK, *(f"node/{name}" for name in UPGRADED)]
    return [target for target in targets if connection.exists(lock_key(target, cluster="default"))]


def short_of_desired(sim: Simulator) -> int:
    """Replicas the Deployments and StatefulSets outside kube-system run fewer of than they want (Ready)."""
    missing = 0
    for resource in ("deployments", "statefulsets"):
        for workload in sim.store.list(resource)[0]:
            if workload["metadata"]["namespace"] == "kube-system":
                continue
            wanted = int(workload["spec"].get("replicas", 1))
            missing += max(0, wanted - int((workload.get("status") or {}).get("readyReplicas") or 0))
    return missing


@pytest.mark.drill(Family.UPGRADE_KILL, trials=5, quick=1)
def test_an_upgrade_killed_at_random_points_resumes_and_upgrades_every_node_exactly_once(
    cluster: Simulator, redis_url: str, tmp_path: Path, *, trial: int, chance: random.Random, drill: Tally
) -> None:
    """Four SIGKILLs, each after a random number of events and a random fraction of a second; the locks
    freed as each is settled; each re-run resumes; all nodes end upgraded once."""
    connection = Redis.from_url(redis_url)
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    runner = JobRunner(kubeconfig, connection=connection)
    changes = KubeletChanges(cluster)
    numbers = itertools.count(1)
    workers: list[WorkerProcess] = []

    def start_worker() -> WorkerProcess:
        number = next(numbers)
        worker = WorkerProcess(
            name=f"upgrade-drill-{number}-{tmp_path.name[-12:]}",
            redis_url=redis_url,
            kubeconfig=kubeconfig,
            log=tmp_path / f"worker-{number}.log",
        )
        workers.append(worker)
        return worker

    try:
        killed_after: list[int] = []
        running = start_worker()
        for _ in range(KILLS):
            job_id = runner.enqueue("upgrade_nodes", version=TARGET, **FLAGS)
            after = chance.randint(1, EVENTS)
            wait_until(
                functools.partial(reached, connection, job_id, after),
                what=f"{after} events of the upgrade",
                seconds=60,
            )
            time.sleep(chance.uniform(0.0, 0.5))
            standby = start_worker()
            running.kill()
            killed_at = time.monotonic()
            killed_after.append(after)
            ending = final_event(connection, job_id, seconds=30)
            assert ending.kind in {EventKind.FAILED, EventKind.SUCCEEDED}, ending.text
            running = standby
            assert held_locks(connection) == [], "the reaper frees the dead upgrade's locks as it settles it"
        last = runner.enqueue("upgrade_nodes", version=TARGET, **FLAGS)
        finished = final_event(connection, last, seconds=120)
        wait_until(
            lambda: short_of_desired(cluster) == 0, what="every workload back at its replicas", seconds=30
        )
        drill.recovered(Family.UPGRADE_KILL, time.monotonic() - killed_at)
    finally:
        changes.close()
        for worker in workers:
            worker.stop()
        connection.close()

    states = {name: node_state(cluster, name) for name in ("node-1", *UPGRADED)}
    upgraded_twice = sum(max(0, [n for n, _ in changes.changes].count(name) - 1) for name in UPGRADED)
    not_upgraded = [name for name, state in states.items() if state.kubelet != TARGET or state.cordoned]
    drill.tried(Family.UPGRADE_KILL, KILLS)
    drill.lost(Family.UPGRADE_KILL, short_of_desired(cluster) + len(not_upgraded))
    drill.duplicated(Family.UPGRADE_KILL, upgraded_twice)
    assert finished.kind == EventKind.SUCCEEDED, (killed_after, finished.text)
    assert not_upgraded == [], states
    for state in states.values():
        assert (state.checkpoint, state.in_maintenance) == (None, False)
    assert sorted(changes.changes) == [(name, TARGET) for name in UPGRADED]
    assert short_of_desired(cluster) == 0
