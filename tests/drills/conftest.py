"""Fixtures for drills: a busy node on kubesim, real worker processes, and a count of every pod created."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from benchmarks.drain import BUSY_NODE, DEPLOYMENT, busy_node_scenario, ready_pods, settle_on_busy_node
from bot.dispatch import RQDispatcher
from kubesim.server import Simulator
from kubesim.testing import running_simulator
from tests.drills.workers import WorkerProcess, wait_until
from tests.support.drills import Family, Tally
from tests.support.job_key import TEST_SIGNER
from tests.workers.harness import JobRunner

SPEED = 10.0
"""Simulated seconds per real second: a replacement turns Ready in 0.2 s, an evicted pod ends in 3 s."""

REPLICAS = 12
"""Pods of ``shop`` on node-1; the budget lets one go at a time, so a drain takes a few seconds."""


class PodCreations:
    """Every ``shop`` pod the simulator created, by name, from the moment the fixture subscribed."""

    def __init__(self, sim: Simulator) -> None:
        self.names: list[str] = []
        self._unsubscribe = sim.store.subscribe(self._observe)

    def _observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        labels = obj.get("metadata", {}).get("labels") or {}
        if event == "ADDED" and resource == "pods" and labels.get("app") == DEPLOYMENT:
            self.names.append(obj["metadata"]["name"])

    def close(self) -> None:
        """Stop counting."""
        self._unsubscribe()


def count_drain_outcome(
    sim: Simulator, before: set[str], creations: PodCreations, *, drill: Tally, family: Family
) -> None:
    """Report one drained node to the tally: replicas not running again elsewhere are lost, and replacements
    beyond one per original pod are duplicates. Waits (without failing) for the replicas to come back."""

    def back() -> bool:
        return len([p for p in ready_pods(sim) if p["spec"]["nodeName"] != BUSY_NODE]) >= REPLICAS

    with contextlib.suppress(AssertionError):  # a replica that never returns is counted as lost below
        wait_until(back, what="all replicas Ready elsewhere")
    elsewhere = [p for p in ready_pods(sim) if p["spec"]["nodeName"] != BUSY_NODE]
    drill.tried(family)
    drill.lost(family, REPLICAS - len(elsewhere))
    drill.duplicated(family, len(creations.names) - len(before))


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Simulator]:
    """node-1 running all 12 replicas of shop (budget: one unavailable at a time), node-2 and node-3 spare."""
    scenario = busy_node_scenario(tmp_path / "busy.yaml", replicas=REPLICAS, spares=2, max_unavailable=1)
    with running_simulator(scenario=scenario, speed=SPEED) as simulator:
        settle_on_busy_node(simulator, replicas=REPLICAS)
        yield simulator


@pytest.fixture(name="kubeconfig")
def fixture_kubeconfig(sim: Simulator, tmp_path: Path) -> Path:
    """A kubeconfig pointing at the simulator."""
    return sim.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """A client of the test's Redis database."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture(name="runner")
def fixture_runner(kubeconfig: Path, connection: Redis) -> JobRunner:
    """Enqueues jobs the way the bot does, on the real Redis (the forking workers run them)."""
    return JobRunner(kubeconfig, connection=connection)


@pytest.fixture(name="dispatcher")
def fixture_dispatcher(connection: Redis) -> RQDispatcher:
    """The bot's dispatcher on the real Redis."""
    return RQDispatcher(connection, signer=TEST_SIGNER)


@pytest.fixture(name="creations")
def fixture_creations(sim: Simulator) -> Iterator[PodCreations]:
    """Counts the shop pods created from now on (replacements)."""
    creations = PodCreations(sim)
    yield creations
    creations.close()


StartWorker = Callable[..., WorkerProcess]


@pytest.fixture(name="start_worker")
def fixture_start_worker(redis_url: str, kubeconfig: Path, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts ``chatops worker`` processes; every one still running is stopped after the test."""
    started: list[WorkerProcess] = []
    numbers = itertools.count(1)

    def start(*, burst: bool = False, url: str | None = None, **options: float) -> WorkerProcess:
        number = next(numbers)
        worker = WorkerProcess(
            name=f"drill-{number}-{tmp_path.name[-12:]}",
            redis_url=url or redis_url,
            kubeconfig=kubeconfig,
            log=tmp_path / f"worker-{number}.log",
            burst=burst,
            **options,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
