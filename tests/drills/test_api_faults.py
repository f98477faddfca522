"""API 429s, 500s and hung requests during a drain, alone or in random storms: it completes or fails clearly, never hangs or double-evicts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from benchmarks.drain import BUSY_NODE, ready_pods
from kubesim.faults import HANG, LOST_ANSWER, RequestFault
from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.drills.conftest import REPLICAS, PodCreations, StartWorker, count_drain_outcome
from tests.drills.workers import evicted_so_far, final_event, wait_until
from tests.support.drills import Family, Tally
from tests.workers.harness import JobRunner

pytestmark = [pytest.mark.redis, pytest.mark.slow]

EVICTION = r"/pods/[^/]+/eviction$"

HARD_EVICTION_ERRORS: list[int | str] = [500, HANG]
"""What an eviction may get that fails the drain (for a re-run to finish)."""


def drain_once(runner: JobRunner, start_worker: StartWorker) -> tuple[str, EventKind, str]:
    """Drain node-1 with a burst worker; returns the job id, how it ended and its last sentence."""
    job_id = runner.enqueue("drain", node=BUSY_NODE)
    worker = start_worker(burst=True)
    ending = final_event(runner.connection, job_id)
    assert worker.wait() == 0, worker.output()
    return job_id, ending.kind, ending.text


def assert_each_pod_replaced_once(
    sim: Simulator, before: set[str], creations: PodCreations, drill: Tally
) -> None:
    """node-1 is empty and cordoned; the 12 replicas run elsewhere; one replacement per evicted pod."""
    count_drain_outcome(sim, before, creations, drill=drill, family=Family.API_STORM)
    wait_until(lambda: len(ready_pods(sim)) == REPLICAS, what="all replicas Ready again")
    assert ready_pods(sim, BUSY_NODE) == []
    assert sim.store.get("nodes", None, BUSY_NODE)["spec"]["unschedulable"] is True
    assert len(creations.names) == len(set(creations.names)) == len(before)


@pytest.mark.drill(Family.API_STORM)
@pytest.mark.parametrize(
    "fault",
    [
        RequestFault(action=429, method="POST", path=EVICTION, times=6, retry_after=1),
        RequestFault(action=503, method="GET", resource="pods", times=2),
        RequestFault(action=HANG, method="GET", resource="poddisruptionbudgets", times=2, hang_seconds=1),
    ],
    ids=["429-on-evictions", "503-on-pod-reads", "hung-budget-reads"],
)
def test_a_drain_rides_out_throttling_and_transient_failures(
    sim: Simulator,
    runner: JobRunner,
    start_worker: StartWorker,
    creations: PodCreations,
    fault: RequestFault,
    *,
    drill: Tally,
) -> None:
    """429s are retried, transient read failures are retried with backoff: the drain completes, once per pod."""
    before = {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}
    sim.faults.add_request_fault(fault)
    job_id, kind, text = drain_once(runner, start_worker)
    assert kind == EventKind.SUCCEEDED, text
    evicted = evicted_so_far(runner.connection, job_id)
    assert len(evicted) == len(set(evicted)) == REPLICAS
    assert_each_pod_replaced_once(sim, before, creations, drill)


@pytest.mark.drill(Family.API_STORM)
@pytest.mark.parametrize(
    "fault_and_wording",
    [
        (500, "kubesim injected fault (500)"),
        (HANG, "the server was unable to return a response"),
        # Evicted, then the connection dropped unanswered (a kube-apiserver killed mid-request): the
        # eviction may have taken, so it is not sent again; the re-run finds the pod gone.
        (LOST_ANSWER, "did not answer in time"),
    ],
    ids=["500-on-one-eviction", "hung-eviction", "lost-answer-of-one-eviction"],
)
def test_a_drain_fails_clearly_on_a_hard_eviction_error_and_a_rerun_finishes_it(
    sim: Simulator,
    runner: JobRunner,
    start_worker: StartWorker,
    creations: PodCreations,
    fault_and_wording: tuple[int | str, str],
    *,
    drill: Tally,
) -> None:
    """An eviction that errors fails that pod at once: the drain names it, and a re-run completes once per pod."""
    action, said = fault_and_wording
    before = {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}
    victim = sorted(before)[0]
    sim.faults.add_request_fault(
        RequestFault(action=action, method="POST", path=f"/pods/{victim}/eviction$", times=1, hang_seconds=1)
    )
    job_id, kind, text = drain_once(runner, start_worker)
    assert kind == EventKind.FAILED
    assert f"default/{victim}" in text
    assert said in text
    assert f"default/{victim}" not in evicted_so_far(runner.connection, job_id)

    _, kind, text = drain_once(runner, start_worker)
    assert kind == EventKind.SUCCEEDED, text
    assert_each_pod_replaced_once(sim, before, creations, drill)


@pytest.mark.drill(Family.API_STORM)
def test_a_failed_drain_names_its_pods_even_when_its_record_cannot_be_written(
    sim: Simulator,
    runner: JobRunner,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    drill: Tally,
) -> None:
    """An eviction errors, and by the time the drain ends the node cannot be patched either (the API
    server going away): the requester still reads which pod is pending, not a bare "did not answer"."""
    before = {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}
    victim = sorted(before)[0]
    sim.faults.add_request_fault(
        RequestFault(action=500, method="POST", path=f"/pods/{victim}/eviction$", times=1)
    )
    job_id = runner.enqueue("drain", node=BUSY_NODE)
    worker = start_worker(burst=True)
    wait_until(lambda: not sim.faults.requests, what="the eviction's fault to be used")
    sim.faults.add_request_fault(RequestFault(action=503, method="PATCH", resource="nodes"))
    ending = final_event(runner.connection, job_id)
    assert worker.wait() == 0, worker.output()
    assert ending.kind == EventKind.FAILED
    assert f"default/{victim}" in ending.text, ending.text

    sim.faults.clear()
    _, kind, text = drain_once(runner, start_worker)
    assert kind == EventKind.SUCCEEDED, text
    assert_each_pod_replaced_once(sim, before, creations, drill)


def storm(chance: random.Random) -> list[RequestFault]:
    """One to three faults drawn from the seed: throttled evictions, failing or hung reads, and now and
    then one eviction that errors or hangs (which fails the drain, for a re-run to finish)."""
    kinds: list[Callable[[], RequestFault]] = [
        lambda: RequestFault(
            action=429,
            method="POST",
            path=EVICTION,
            times=chance.randint(1, 8),
            retry_after=chance.randint(0, 1),
        ),
        lambda: RequestFault(
            action=chance.choice([500, 503]), method="GET", resource="pods", times=chance.randint(1, 2)
        ),
        lambda: RequestFault(
            action=HANG,
            method="GET",
            resource="poddisruptionbudgets",
            times=chance.randint(1, 2),
            hang_seconds=1,
        ),
        lambda: RequestFault(
            action=429, method="GET", resource="pods", times=chance.randint(1, 4), retry_after=0
        ),
        lambda: RequestFault(
            action=chance.choice(HARD_EVICTION_ERRORS), method="POST", path=EVICTION, times=1, hang_seconds=1
        ),
    ]
    return [chance.choice(kinds)() for _ in range(chance.randint(1, 3))]


@pytest.mark.drill(Family.API_STORM, trials=20, quick=1)
def test_a_storm_of_api_faults_at_a_random_point_of_a_drain_never_double_evicts_and_reruns_finish_it(
    sim: Simulator,
    runner: JobRunner,
    start_worker: StartWorker,
    creations: PodCreations,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """Faults start after 0 to 10 evictions: the drain completes, or fails naming a pod and a re-run
    (at most two) completes it; each pod is evicted and replaced once."""
    before = {pod["metadata"]["name"] for pod in ready_pods(sim, BUSY_NODE)}
    job_id = runner.enqueue("drain", node=BUSY_NODE)
    worker = start_worker(burst=True)
    after = chance.randint(0, REPLICAS - 2)
    wait_until(lambda: len(evicted_so_far(runner.connection, job_id)) >= after, what=f"{after} evictions")
    faults = storm(chance)
    for fault in faults:
        sim.faults.add_request_fault(fault)
    struck = time.monotonic()
    ending = final_event(runner.connection, job_id)
    assert worker.wait() == 0, worker.output()
    evicted = evicted_so_far(runner.connection, job_id)
    for _ in range(2):
        if ending.kind == EventKind.SUCCEEDED:
            break
        assert ending.kind == EventKind.FAILED, ending.text
        assert "default/shop-" in ending.text, (faults, ending.text)
        job_id, _, _ = drain_once(runner, start_worker)
        ending = final_event(runner.connection, job_id)
        evicted += evicted_so_far(runner.connection, job_id)
    assert ending.kind == EventKind.SUCCEEDED, (faults, ending.text)
    drill.recovered(Family.API_STORM, time.monotonic() - struck)
    assert len(evicted) == len(set(evicted)) == REPLICAS, faults
    assert_each_pod_replaced_once(sim, before, creations, drill)
