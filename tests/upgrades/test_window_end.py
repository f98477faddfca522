"""Stopping at the window's end: ``upgrade nodes`` over three nodes starts no node after its window closed,
and the rest resumes at the next opening from the nodes' checkpoints, each node upgraded once.

The workers' clock is moved by hand (:func:`workers.clock.configure`): the window
``sat 22:00-sun 04:00 Europe/Berlin`` is open when the job starts and closes while the first node is
upgraded (the clock reads the simulator: once a kubelet is at the target, it is Sunday morning).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from bot.core.timeline import EntryKind
from bot.timeline_recorder import event_entry
from kubesim.server import Simulator
from kubesim.testing import running_simulator
from shared.jobevents import EventKind
from shared.messages import upgrade_runs as wording
from shared.schedules import Schedule
from shared.windows import parse_window
from tests.support.clocks import ManualClock
from tests.upgrades.cluster import align_kubelets, node_state, runner_for
from tests.upgrades.conftest import SPEED
from tests.workers.harness import read_events, settled
from workers import clock as worker_clock
from workers import cluster

NODES = ("node-1", "node-2", "node-3")
TARGET = "v1.31.4"
WINDOW = parse_window("sat-night", "sat 22:00-sun 04:00 Europe/Berlin")
OPENS = dt.datetime(2023, 11, 18, 21, 0, tzinfo=dt.UTC).timestamp()
CLOSES = dt.datetime(2023, 11, 19, 3, 0, tzinfo=dt.UTC).timestamp()
NEXT_OPENS = OPENS + 7 * 86400
FLAGS = {"force": True, "delete_emptydir_data": True}


@pytest.fixture(name="behind")
def fixture_behind() -> Iterator[Simulator]:
    """Every kubelet at v1.30.6 under a v1.31.4 control plane: three nodes to upgrade."""
    with running_simulator(speed=SPEED, controllers=False) as simulator:
        align_kubelets(simulator, "v1.30.6")
        simulator.controllers.start()
        yield settled(simulator)
    cluster.configure(kubeconfig=None)
    worker_clock.configure()


class ClosesAfterTheFirstNode:
    """Saturday night until a kubelet reaches the target, Sunday morning (window closed) after."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    def __call__(self) -> float:
        upgraded = [name for name in NODES if node_state(self.simulator, name).kubelet == TARGET]
        return CLOSES + 600 if upgraded else OPENS + 60


def test_upgrade_nodes_stops_between_nodes_at_the_window_end_and_resumes_at_the_next_opening(
    behind: Simulator, tmp_path: Path
) -> None:
    """One node done in the window, two left; a week later the continuation does those two, none twice."""
    runner = runner_for(behind, tmp_path)
    worker_clock.configure(ClosesAfterTheFirstNode(behind))
    schedule = Schedule(start_at=OPENS, window=WINDOW, asked_at=OPENS - 86400).to_json()
    first = runner.run("upgrade_nodes", version=TARGET, schedule=schedule, **FLAGS)

    assert first.final.kind is EventKind.CANCELLED and first.final.details.get("paused") is True
    continuation = str(first.final.details["continuation"])
    assert continuation == f"{first.job_id}-w1"
    assert "paused: window `sat-night` closed. Done: `node-1`. Left: `node-2`, `node-3`" in first.final.text
    assert "Sat 25 Nov 22:00 CET" in first.final.text
    assert [node_state(behind, name).kubelet for name in NODES] == [TARGET, "v1.30.6", "v1.30.6"]
    assert not any(node_state(behind, name).cordoned for name in NODES), "no node is left half-done"
    registry = runner.queue.scheduled_job_registry
    assert registry.get_scheduled_time(continuation).timestamp() == NEXT_OPENS

    worker_clock.configure(ManualClock(NEXT_OPENS + 60))
    scheduler = RQScheduler([runner.queue], connection=runner.connection, serializer=JSONSerializer)
    scheduler.acquire_locks()  # type: ignore[no-untyped-call]  # rq leaves these untyped
    scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
    runner.work()
    rest = runner.outcome(continuation)

    assert rest.status == "finished", rest.texts()
    assert f"It resumes `{first.job_id}`" in rest.texts(EventKind.STARTED)[0]
    assert [node_state(behind, name).kubelet for name in NODES] == [TARGET, TARGET, TARGET]
    events = read_events(runner.connection, first.job_id) + read_events(runner.connection, continuation)
    for name in NODES:
        upgrades = [event for event in events if event.text == wording.node_step(name, "upgrade")]
        assert len(upgrades) == 1, name
    kinds = [event_entry(event).kind for event in events]
    assert EntryKind.JOB_PAUSED in kinds and EntryKind.JOB_RESUMED in kinds, "the timeline says so"
