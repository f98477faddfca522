"""Two maintenances of two nodes at once, with the cluster-wide limit at 1: one runs, the other is refused."""

from __future__ import annotations

import pytest
from redis import Redis

from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.messages import operations as wording
from tests.drills.conftest import StartWorker
from tests.drills.workers import final_event
from tests.workers.harness import JobRunner

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_two_nodes_put_in_maintenance_together_take_one_slot_and_the_other_is_told_who_holds_it(
    sim: Simulator, runner: JobRunner, connection: Redis, start_worker: StartWorker
) -> None:
    """Two workers take the two jobs together; exactly one drains, the other names the node holding capacity."""
    first = runner.enqueue("maintain", node="node-1")
    second = runner.enqueue("maintain", node="node-2")
    start_worker()
    start_worker()

    endings = {node: final_event(connection, job) for node, job in (("node-1", first), ("node-2", second))}

    kinds = sorted(event.kind for event in endings.values())
    assert kinds == [EventKind.FAILED, EventKind.SUCCEEDED]
    winner = next(node for node, event in endings.items() if event.kind == EventKind.SUCCEEDED)
    loser = next(node for node, event in endings.items() if event.kind == EventKind.FAILED)
    refusal = wording.too_many_in_maintenance(loser, others=[winner], limit=1)
    assert refusal in endings[loser].text
    assert sim.store.get("nodes", None, winner)["spec"]["unschedulable"] is True
    assert not sim.store.get("nodes", None, loser)["spec"].get("unschedulable")
