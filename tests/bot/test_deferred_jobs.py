"""Approve now, run in the window: deferred jobs on a real Redis, RQ's scheduler, an in-process worker.

The clock is moved by hand (:class:`~tests.support.clocks.ManualClock`, read by the engine and by the
workers through :func:`workers.clock.configure`). It starts on Tuesday 14 November 2023, 22:13 UTC;
the window is ``sat 22:00-sun 04:00 Europe/Berlin``, which opens on Saturday 18 November at 21:00 UTC.
RQ's scheduler compares with the wall clock (years later), so what it would start is everything
scheduled; what proves the start time is the time RQ's scheduler holds the job for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import load_policy
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_recorder import TimelineRecorder
from bot.timeline_store import TimelineStore
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.jobs import queue_name
from shared.messages import freezes as freeze_messages
from shared.messages import windows as window_messages
from tests.support.clocks import ManualClock
from tests.support.plans import last_word
from workers import clock as worker_clock
from workers import cluster

REQUEST_TS = "1700000000.000100"
OPENS = dt.datetime(2023, 11, 18, 21, 0, tzinfo=dt.UTC).timestamp()
CLOSES = dt.datetime(2023, 11, 19, 3, 0, tzinfo=dt.UTC).timestamp()
POLICY = """
groups:
  oncall: [U_ALICE]
  leads: [U_BOB]
windows:
  sat-night: sat 22:00-sun 04:00 Europe/Berlin
freezes: {by: [leads], incident: [leads]}
rules:
  - commands: [jobs, nodes, timeline]
    allow: ["*"]
  - commands: [drain, cordon, cancel]
    allow: [oncall]
    window: sat-night
    approval: {approvers: [leads], count: 1, ttl: 15m}
"""


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """This test's emptied real Redis."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture(name="clock")
def fixture_clock() -> Iterator[ManualClock]:
    """Tuesday evening, by the engine's clock and the workers'."""
    clock = ManualClock()
    worker_clock.configure(clock)
    yield clock
    worker_clock.configure()


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario, settled, with this process's workers pointed at it."""
    with Simulator(speed=10) as simulator:
        simulator.start()
        simulator.controllers.settle(timeout=30)
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        yield simulator


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis, clock: ManualClock) -> Engine:
    """The bot with the window policy, on the hand-moved clock."""
    return build_engine(policy=load_policy(POLICY), connection=connection, cluster="default", clock=clock)


def queue(connection: Redis) -> Queue:
    """The default cluster's queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)


def work(connection: Redis) -> None:
    """Run every queued job of the default cluster (a burst of an in-process worker)."""
    SimpleWorker([queue(connection)], connection=connection, serializer=JSONSerializer).work(
        burst=True, logging_level="ERROR"
    )


def scheduler_runs(connection: Redis) -> None:
    """One pass of RQ's own scheduler: every job scheduled by now goes on its queue."""
    scheduler = RQScheduler([queue(connection)], connection=connection, serializer=JSONSerializer)
    scheduler.acquire_locks()  # type: ignore[no-untyped-call]  # rq leaves these untyped
    scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
    scheduler.release_locks()  # type: ignore[no-untyped-call]


def approved_drain(engine: Engine, connection: Redis) -> tuple[str, list[Reply]]:
    """Alice asks to drain node-2 on Tuesday; its plan runs now, Bob approves: the job and Bob's replies."""
    [planning] = engine.handle(
        Message(
            user="U_ALICE", channel="C_OPS", ts=REQUEST_TS, text="drain node-2 --force --delete-emptydir-data"
        )
    )
    assert "`sat-night` is closed now" in planning.text
    work(connection)
    assert planning.job_id is not None
    [request] = engine.plans_reported([last_word(connection, planning.job_id)])
    assert request.approval is not None
    replies = engine.handle(
        Message(user="U_BOB", channel="C_OPS", ts="1700000100.1", text="approve", thread_ts=REQUEST_TS)
    )
    return request.approval.job_id, replies


def test_a_drain_approved_outside_its_window_starts_at_the_opening(
    engine: Engine, connection: Redis, clock: ManualClock, sim: Simulator
) -> None:
    """Approved on Tuesday, the drain waits in RQ's scheduler for Saturday 22:00 Berlin time, then runs."""
    job_id, replies = approved_drain(engine, connection)
    assert replies[-1].job_id == job_id
    assert (
        "is queued for Sat 18 Nov 22:00 CET, in 3 d 22 h.\nIt waits for window `sat-night`"
        in replies[-1].text
    )
    registry = queue(connection).scheduled_job_registry
    assert registry.get_scheduled_time(job_id).timestamp() == OPENS
    assert job_id not in registry.get_jobs_to_schedule(int(OPENS) - 1)
    assert queue(connection).get_job_ids() == []
    assert sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable") is not True
    clock.now = OPENS
    scheduler_runs(connection)
    work(connection)
    final = last_word(connection, job_id)
    assert final.kind is EventKind.SUCCEEDED, final.text
    assert sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable") is True


def test_a_deferred_job_is_listed_with_its_start_and_can_be_cancelled(
    engine: Engine, connection: Redis, sim: Simulator
) -> None:
    """`jobs` shows the waiting drain with its start; `cancel` drops it from RQ's scheduler."""
    job_id, _ = approved_drain(engine, connection)
    [listing] = engine.handle(Message(user="U_ALICE", channel="C_OPS", ts="1700000200.1", text="jobs"))
    assert f"`{job_id}`" in listing.text and "starts Sat 18 Nov 21:00 UTC" in listing.text
    [cancelled] = engine.handle(
        Message(user="U_ALICE", channel="C_OPS", ts="1700000300.1", text=f"cancel {job_id}")
    )
    assert "before it started" in cancelled.text
    assert job_id not in queue(connection).scheduled_job_registry.get_job_ids()
    status = Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status()
    assert status == JobStatus.CANCELED


def test_a_deferred_job_whose_target_changed_while_it_waited_is_void(
    engine: Engine, connection: Redis, clock: ManualClock, sim: Simulator
) -> None:
    """Someone cordons node-2 by hand before Saturday: at the opening the drain is void, and says so."""
    job_id, _ = approved_drain(engine, connection)
    sim.store.patch(
        "nodes",
        None,
        "node-2",
        {"spec": {"unschedulable": True}},
        content_type="application/merge-patch+json",
    )
    clock.now = OPENS
    scheduler_runs(connection)
    work(connection)
    final = last_word(connection, job_id)
    assert final.kind is EventKind.FAILED
    assert final.text.startswith(f"`{job_id}` was void: its target changed while it waited")
    assert final.details.get("voided") is True


def test_a_deferred_job_that_starts_after_its_window_closed_is_void(
    engine: Engine, connection: Redis, clock: ManualClock, sim: Simulator
) -> None:
    """No worker ran until Sunday noon: the drain does not start outside its window, and says why."""
    job_id, _ = approved_drain(engine, connection)
    clock.now = CLOSES + 8 * 3600
    scheduler_runs(connection)
    work(connection)
    final = last_word(connection, job_id)
    assert final.kind is EventKind.FAILED
    assert final.text == window_messages.window_closed_at_start(job_id=job_id, window="sat-night")
    assert sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable") is not True


def test_a_command_asked_for_later_waits_for_that_time_inside_its_window(
    engine: Engine, connection: Redis, sim: Simulator
) -> None:
    """`--at sun 01:00` falls in the window: the approved job starts then, not at the opening."""
    [planning] = engine.handle(
        Message(user="U_ALICE", channel="C_OPS", ts=REQUEST_TS, text="cordon node-3 --at sun 01:00")
    )
    assert "Sun 19 Nov 01:00 CET" in planning.text
    work(connection)
    assert planning.job_id is not None
    [request] = engine.plans_reported([last_word(connection, planning.job_id)])
    assert request.approval is not None
    replies = engine.handle(
        Message(user="U_BOB", channel="C_OPS", ts="1700000100.1", text="approve", thread_ts=REQUEST_TS)
    )
    assert "queued for Sun 19 Nov 01:00 CET" in replies[-1].text
    registry = queue(connection).scheduled_job_registry
    assert registry.get_scheduled_time(request.approval.job_id).timestamp() == OPENS + 3 * 3600


def test_a_deferred_job_whose_cluster_froze_while_it_waited_is_void(
    engine: Engine, connection: Redis, clock: ManualClock, sim: Simulator
) -> None:
    """Bob freezes the cluster on Friday: at Saturday's opening the drain is void, naming the freeze."""
    job_id, _ = approved_drain(engine, connection)
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1700000500.1", text="freeze release weekend"))
    clock.now = OPENS
    scheduler_runs(connection)
    work(connection)
    final = last_word(connection, job_id)
    assert final.kind is EventKind.FAILED
    assert final.text == freeze_messages.frozen_at_start(
        job_id=job_id, cluster="default", by="U_BOB", reason="release weekend"
    )
    assert sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable") is not True


def test_the_timeline_export_shows_the_deferral_and_the_start_at_the_opening(
    engine: Engine, connection: Redis, clock: ManualClock, sim: Simulator
) -> None:
    """`timeline --export json`: the drain deferred on Tuesday, started and done on Saturday night."""
    job_id, _ = approved_drain(engine, connection)
    clock.now = OPENS
    scheduler_runs(connection)
    work(connection)
    store = TimelineStore(connection, key=DEMO_CHAIN_KEY, clock=clock)
    TimelineRecorder(connection, timeline=store, consumer="test").step()
    [export] = engine.handle(
        Message(user="U_ALICE", channel="C_OPS", ts="1700400000.1", text="timeline --export json")
    )
    assert export.file is not None
    entries = [entry for entry in json.loads(export.file.content)["entries"] if entry.get("job_id") == job_id]
    kinds = [entry["kind"] for entry in entries]
    assert kinds.index("job_deferred") < kinds.index("job_started") < kinds.index("job_succeeded")
    [deferred] = [entry for entry in entries if entry["kind"] == "job_deferred"]
    assert deferred["summary"].startswith("deferred: drain node/node-2 starts Sat 18 Nov 22:00 CET")
    assert deferred["details"]["starts_at"] == OPENS


def test_a_pending_request_waiting_for_its_window_is_rechecked_now_not_at_the_opening(
    engine: Engine, connection: Redis, sim: Simulator
) -> None:
    """The re-check of a pending drain deferred to Saturday runs its plan at once, and a hand-made
    cordon of node-2 voids the request on Tuesday."""
    [planning] = engine.handle(
        Message(
            user="U_ALICE", channel="C_OPS", ts=REQUEST_TS, text="drain node-2 --force --delete-emptydir-data"
        )
    )
    work(connection)
    assert planning.job_id is not None
    [request] = engine.plans_reported([last_word(connection, planning.job_id)])
    assert request.approval is not None and "`sat-night` is closed now" in planning.text
    sim.store.patch(
        "nodes",
        None,
        "node-2",
        {"spec": {"unschedulable": True}},
        content_type="application/merge-patch+json",
    )
    queued = engine.recheck_pending(interval=1e-6)
    assert queued and queue(connection).scheduled_job_registry.get_job_ids() == []
    work(connection)
    [void] = engine.plans_reported([last_word(connection, job_id) for job_id in queued])
    assert void.approval is not None and void.approval.state.value == "voided"
