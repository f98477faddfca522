"""`jobs` tells the truth: each job's current state, the moment the thread hears it, with who asked and when."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message
from bot.core.policy_file import demo_policy
from bot.wiring import build_engine
from kubesim.server import Simulator
from kubesim.testing import running_simulator
from shared.jobs import cancel_flag_key, job_id_for, queue_name
from tests.support.plans import last_word
from tests.workers.harness import set_min_available, settled
from workers import cluster
from workers.reaping import settle

ALICE = "U_ALICE"
CHANNEL = "C_OPS"
_seconds = itertools.count(1)


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario, with this process's workers pointed at it."""
    with running_simulator(speed=20.0) as simulator:
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        yield settled(simulator)


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis shared by the bot and the worker."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis) -> Engine:
    """The engine under the demo policy, queueing onto RQ in fakeredis."""
    return build_engine(policy=demo_policy(), connection=connection, cluster="default")


def say(engine: Engine, text: str) -> tuple[str, str]:
    """Alice types ``text``; returns the id of the job the message names and the bot's first reply."""
    ts = f"1700000{next(_seconds):03d}.000100"
    replies = engine.handle(Message(user=ALICE, channel=CHANNEL, ts=ts, text=text))
    return job_id_for(channel=CHANNEL, message_ts=ts), replies[0].text


def line_of(engine: Engine, job_id: str) -> str:
    """The line of ``jobs`` that names ``job_id``."""
    _, listing = say(engine, "jobs")
    [line] = [line for line in listing.splitlines() if f"`{job_id}`" in line]
    return line


class WatchingWorker(SimpleWorker):
    """A worker that lets the test type `jobs` at the moment the job's last word is out, before RQ files it."""

    def __init__(self, *args: Any, watch: Callable[[Job], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry: Any) -> None:
        self._watch(job)
        super().handle_job_success(job, queue, started_job_registry)

    def handle_job_failure(
        self, job: Job, queue: Queue, started_job_registry: Any = None, exc_string: str = ""
    ) -> None:
        self._watch(job)
        super().handle_job_failure(job, queue, started_job_registry, exc_string)


def work(connection: Redis, *, watch: Callable[[Job], None] = lambda _: None) -> None:
    """Run every queued job of the default cluster in this process."""
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    WatchingWorker([queue], connection=connection, serializer=JSONSerializer, watch=watch).work(
        burst=True, logging_level="ERROR"
    )


def test_a_job_is_queued_then_succeeded_with_who_asked_and_when(
    sim: Simulator, engine: Engine, connection: Redis
) -> None:
    """Queued while it waits; succeeded once it did, and already when the thread is told (before RQ files it)."""
    job_id, _ = say(engine, "cordon node-3")
    queued = line_of(engine, job_id)
    assert " queued: cordon node/node-3" in queued
    assert "<@U_ALICE>" in queued and time.strftime("%H:%M", time.gmtime()) in queued
    seen: list[str] = []
    work(connection, watch=lambda job: seen.append(line_of(engine, job.id)))
    assert [" succeeded: " in line for line in seen] == [True]
    assert " succeeded: cordon node/node-3" in line_of(engine, job_id)


def test_a_failed_job_is_failed_as_soon_as_the_thread_says_so(
    sim: Simulator, engine: Engine, connection: Redis
) -> None:
    """A cordon of a node that does not exist: `jobs` right after the failure says failed, never started."""
    job_id, _ = say(engine, "cordon node-99")
    seen: list[str] = []
    work(connection, watch=lambda job: seen.append(line_of(engine, job.id)))
    assert [" failed: " in line for line in seen] == [True]
    assert " failed: cordon node/node-99" in line_of(engine, job_id)


def test_a_job_cancelled_before_it_ran_is_cancelled(engine: Engine) -> None:
    """Withdrawn while queued: cancelled, in plain English."""
    job_id, _ = say(engine, "cordon node-3")
    say(engine, f"cancel {job_id}")
    assert " cancelled: cordon node/node-3" in line_of(engine, job_id)


def test_a_job_cancelled_while_running_is_cancelled_not_failed(
    sim: Simulator, engine: Engine, connection: Redis
) -> None:
    """An approved drain told to stop between evictions ends cancelled; RQ calls it failed, `jobs` does not."""
    set_min_available(sim, 3)
    ts = "1700000900.000100"
    [planning] = engine.handle(
        Message(user=ALICE, channel=CHANNEL, ts=ts, text="drain node-2 --force --delete-emptydir-data")
    )
    work(connection)
    assert planning.job_id is not None
    assert engine.plans_reported([last_word(connection, planning.job_id)])
    engine.handle(
        Message(user="U_BOB", channel=CHANNEL, ts="1700000901.000100", text="approve", thread_ts=ts)
    )
    job_id = job_id_for(channel=CHANNEL, message_ts=ts)
    connection.set(cancel_flag_key(job_id), 1)
    work(connection)
    assert " cancelled: drain node/node-2" in line_of(engine, job_id)


def test_a_job_whose_worker_died_is_crashed(engine: Engine, connection: Redis) -> None:
    """The watchdog settles a job whose worker went silent: `jobs` says crashed, not merely failed."""
    job_id, _ = say(engine, "cordon node-3")
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    job = queue.dequeue_any([queue], timeout=None, connection=connection, serializer=JSONSerializer)
    assert job is not None and job[0].id == job_id, "a worker took the job"
    job[0].set_status(JobStatus.STARTED)
    assert settle(
        connection, job[0], execution="x1", cause="gone", last_alive=time.time(), record_failure=True
    )
    assert " crashed: cordon node/node-3" in line_of(engine, job_id)


def test_a_request_waiting_for_approval_says_so(engine: Engine) -> None:
    """A drain parked for a lead's approval is waiting for approval."""
    job_id, _ = say(engine, "drain node-2")
    assert " waiting for approval: drain node/node-2" in line_of(engine, job_id)
