"""kube-apiserver SIGKILLed and started again (same port, same etcd) at a random point of a drain, on the
real control plane (controlplane/): the drain finishes, or fails naming the pods it could not evict and
a re-run finishes it. Nothing is lost or doubled: every pod that was on node-1 is evicted and replaced
exactly once (counted from a watch that lists again after the restart), the twelve replicas run
elsewhere, node-1 stays cordoned.

The trials share one control plane (starting one takes longer than a trial's drain): before each, the
scenario's state is put back through the API, every replica Ready on node-1 again and node-1 open."""

from __future__ import annotations

import collections
import contextlib
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from redis import Redis

from benchmarks.drain import BUDGET, BUSY_NODE, busy_node_scenario
from controlplane.build import Binaries
from shared.jobevents import EventKind, JobEvent
from tests.beds.creations import SELECTOR, Creations, ready_elsewhere
from tests.beds.view import as_json, unschedulable
from tests.drills.workers import WorkerProcess, evicted_so_far, final_event, wait_until
from tests.support.beds import Bed, control_plane_bed
from tests.support.drills import Family, Tally
from tests.workers.harness import JobRunner, read_events

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.control_plane]

FAMILY = Family.APISERVER_RESTART
REPLICAS = 12
SPARES = ("node-2", "node-3")
LONGEST_OUTAGE_SECONDS = 3.0
"""The API server stays down up to this long before it is started again (and then takes a few seconds
more to serve)."""


@pytest.fixture(name="shared_bed", scope="module")
def fixture_shared_bed(
    control_plane_binaries: Binaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bed]:
    """One control plane for every trial: node-1 runs all twelve replicas of shop (budget: one
    unavailable at a time); the spares start cordoned."""
    directory = tmp_path_factory.mktemp("apiserver-restart")
    scenario = busy_node_scenario(
        directory / "busy.yaml", replicas=REPLICAS, spares=len(SPARES), max_unavailable=1
    )
    with control_plane_bed(control_plane_binaries, scenario, directory) as bed:
        yield bed


@pytest.fixture(name="bed")
def fixture_bed(shared_bed: Bed) -> Bed:
    """The shared control plane as the scenario starts: serving, its controllers fresh, the spares
    cordoned, node-1 open and running every replica, Ready, none elsewhere, the budget counting them."""
    plane = shared_bed.control_plane
    assert plane is not None
    if not plane.serving():  # a trial that failed mid-outage
        plane.start_apiserver()
    plane.restart_controllers()  # as in a new control plane: no retry backoff left from the last outage
    for spare in SPARES:
        shared_bed.core.patch_node(spare, {"spec": {"unschedulable": True}})
    shared_bed.core.patch_node(BUSY_NODE, {"spec": {"unschedulable": False}})
    try:
        wait_until(lambda: back_on_busy_node(shared_bed), what="every replica Ready on node-1", seconds=120)
        wait_until(
            lambda: budget_counts_all(shared_bed), what="the budget to count every replica", seconds=60
        )

    except AssertionError as error:
        raise AssertionError(f"{error}: {pod_states(shared_bed)}") from None
    return shared_bed


def back_on_busy_node(bed: Bed) -> bool:
    """Delete the shop pods off node-1 (their replacements can only go there) and say whether the shop
    pods are exactly the twelve replicas, each Ready on node-1. A scheduler that has not seen the cordons
    yet may place a replacement on a spare: it is deleted again on the next call."""
    for name in shop_pods(bed, lambda pod: pod["spec"].get("nodeName") not in (None, BUSY_NODE)):
        with contextlib.suppress(ApiException):  # already gone
            bed.core.delete_namespaced_pod(name, "default", grace_period_seconds=0)
    every = shop_pods(bed, lambda pod: True)
    return len(every) == REPLICAS and len(shop_pods(bed, ready_on_busy_node)) == REPLICAS


def ready_on_busy_node(pod: dict[str, Any]) -> bool:
    """True for a pod Ready on node-1 and not terminating."""
    conditions = (pod.get("status") or {}).get("conditions") or []
    return (
        pod["spec"].get("nodeName") == BUSY_NODE
        and "deletionTimestamp" not in pod["metadata"]
        and any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    )


def budget_counts_all(bed: Bed) -> bool:
    """True once the disruption controller counts all twelve replicas healthy (an eviction before then is
    judged by the last trial's count)."""
    budget = as_json(bed, bed.policy.read_namespaced_pod_disruption_budget(BUDGET, "default"))
    return bool((budget.get("status") or {}).get("currentHealthy") == REPLICAS)


def shop_pods(bed: Bed, condition: Callable[[dict[str, Any]], bool]) -> list[str]:
    """The names of the shop pods for which ``condition`` holds."""
    listed = as_json(bed, bed.core.list_namespaced_pod("default", label_selector=SELECTOR))
    return [pod["metadata"]["name"] for pod in listed.get("items") or [] if condition(pod)]


def pod_states(bed: Bed) -> list[str]:
    """Each shop pod as ``name node phase ready [terminating]``, to say why a reset did not settle."""

    def state(pod: dict[str, Any]) -> str:
        conditions = (pod.get("status") or {}).get("conditions") or []
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        ending = " terminating" if "deletionTimestamp" in pod["metadata"] else ""
        phase = (pod.get("status") or {}).get("phase")
        return f"{pod['metadata']['name']} {pod['spec'].get('nodeName')} {phase} ready={ready}{ending}"

    listed = as_json(bed, bed.core.list_namespaced_pod("default", label_selector=SELECTOR))
    return [state(pod) for pod in listed.get("items") or []]


@pytest.fixture(name="creations")
def fixture_creations(bed: Bed) -> Iterator[Creations]:
    """The spares opened, and a count of the shop pods created from now on."""
    for spare in SPARES:
        bed.core.patch_node(spare, {"spec": {"unschedulable": False}})
    creations = Creations(bed)
    yield creations
    creations.close()


def evictions(events: list[JobEvent]) -> list[str]:
    """The pods a drain reported evicted, once per report."""
    return [str(e.details["pod"]) for e in events if e.kind == EventKind.PROGRESS and "pod" in e.details]


@pytest.mark.drill(FAMILY, trials=20, quick=2)
def test_a_drain_outlives_a_kube_apiserver_restart_and_every_pod_is_replaced_once(
    bed: Bed,
    creations: Creations,
    redis_url: str,
    tmp_path: Path,
    *,
    trial: int,
    chance: random.Random,
    drill: Tally,
) -> None:
    """The API server dies after 0 to 10 evictions plus up to a second and is back 0 to 3 s later."""
    plane = bed.control_plane
    assert plane is not None
    connection = Redis.from_url(redis_url)
    worker = WorkerProcess(
        name=f"apiserver-{trial}-{tmp_path.name[-10:]}",
        redis_url=redis_url,
        kubeconfig=bed.worker_kubeconfig,
        log=tmp_path / "worker.log",
    )
    runner = JobRunner(bed.worker_kubeconfig, connection=connection)
    runs: list[str] = []
    try:
        runs.append(runner.enqueue("drain", node=BUSY_NODE))
        after = chance.randint(0, REPLICAS - 2)
        wait_until(
            lambda: len(evicted_so_far(connection, runs[0])) >= after, what=f"{after} evictions", seconds=120
        )
        time.sleep(chance.uniform(0.0, 1.0))
        plane.kill_apiserver()
        killed = time.monotonic()
        time.sleep(chance.uniform(0.0, LONGEST_OUTAGE_SECONDS))
        plane.start_apiserver()
        ending = final_event(connection, runs[0], seconds=240)
        if ending.kind == EventKind.FAILED:
            runs.append(runner.enqueue("drain", node=BUSY_NODE))  # what the requester is told to do
            ending = final_event(connection, runs[-1], seconds=240)
        wait_until(
            lambda: len(ready_elsewhere(bed)) >= REPLICAS, what="all replicas Ready elsewhere", seconds=120
        )
        recovered = time.monotonic() - killed
    finally:
        worker.stop()
    events = [read_events(connection, job_id) for job_id in runs]
    connection.close()
    creations.close()
    running = set(ready_elsewhere(bed))
    replacements = [name for name in creations.names if name not in creations.before]
    evicted = collections.Counter(pod for run in events for pod in evictions(run))
    drill.tried(FAMILY)
    drill.lost(FAMILY, REPLICAS - len(running & set(replacements)))
    drill.duplicated(
        FAMILY,
        max(0, len(replacements) - len(creations.before)) + sum(n - 1 for n in evicted.values()),
    )
    drill.recovered(FAMILY, recovered)
    assert ending.kind == EventKind.SUCCEEDED, [e.text for run in events for e in run]
    if len(runs) > 1:
        failed = [event.text for event in events[0] if event.kind.is_final]
        assert any("default/" in text for text in failed), failed
    assert unschedulable(bed, BUSY_NODE)
    assert len(running) == REPLICAS and not running & creations.before
    assert len(replacements) == len(set(replacements)) == len(creations.before) == REPLICAS
    assert len(evicted) == REPLICAS and set(evicted.values()) == {1}, evicted
