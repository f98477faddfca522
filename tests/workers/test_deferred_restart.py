"""Deferred jobs wait in Redis, not in a worker: a worker restarted while they wait loses none.

Real redis-server, real ``chatops worker`` processes (forking a work-horse per job, with RQ's
scheduler on, as they start by default), the bot's own engine signing the jobs, on the wall clock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.core.conversation import Message
from bot.core.policy_file import load_policy
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.jobs import queue_name
from tests.support.job_key import TEST_JOB_KEY
from tests.workers.harness import read_events, wait_for

pytestmark = pytest.mark.redis

POLICY = """
rules:
  - commands: [cordon]
    allow: ["*"]
"""
NODES = ("node-1", "node-2", "node-3")


def start_worker(redis_url: str, kubeconfig: Path) -> subprocess.Popen[bytes]:
    """``chatops worker`` (not burst), with RQ's scheduler on by default; its log goes beside the kubeconfig."""
    chatops = Path(sys.executable).parent / "chatops"
    env = {**os.environ, "REDIS_URL": redis_url, "KUBECONFIG": str(kubeconfig), "CHATOPS_CLUSTER": "default"}
    with (kubeconfig.parent / "worker.log").open("ab") as log:
        return subprocess.Popen([str(chatops), "worker"], env=env, stdout=log, stderr=log)


def stop(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a deploy does: the worker finishes its job (none here) and leaves."""
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)


def test_a_worker_restarted_while_jobs_wait_loses_none(
    sim: Simulator, kubeconfig: Path, redis_url: str
) -> None:
    """Three cordons asked for in a few seconds; the worker restarts before they are due; each runs once."""
    connection = Redis.from_url(redis_url)
    engine = build_engine(
        policy=load_policy(POLICY), connection=connection, cluster="default", job_key=TEST_JOB_KEY.encode()
    )
    first = start_worker(redis_url, kubeconfig)
    job_ids = []
    for index, node in enumerate(NODES):
        [reply] = engine.handle(
            Message(
                user="U_ALICE", channel="C_OPS", ts=f"{time.time():.6f}{index}", text=f"cordon {node} --in 6s"
            )
        )
        assert reply.job_id is not None and "is queued for" in reply.text, reply.text
        job_ids.append(reply.job_id)
    scheduled = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    assert sorted(scheduled.scheduled_job_registry.get_job_ids()) == sorted(job_ids)
    time.sleep(1.0)
    stop(first)
    second = start_worker(redis_url, kubeconfig)
    try:
        wait_for(
            lambda: all(
                any(event.kind is EventKind.SUCCEEDED for event in read_events(connection, job_id))
                for job_id in job_ids
            ),
            what="every deferred cordon to succeed after the restart",
            seconds=60,
        )
    finally:
        stop(second)
    for job_id in job_ids:
        started = [event for event in read_events(connection, job_id) if event.kind is EventKind.STARTED]
        assert len(started) == 1
    for node in NODES:
        assert sim.store.get("nodes", None, node)["spec"]["unschedulable"] is True
    connection.close()


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_worker_killed_outright_leaves_no_scheduler_behind(kubeconfig: Path, redis_url: str) -> None:
    """SIGKILL the worker (an OOM kill): its scheduler process dies with it, and the queue's scheduler lock
    is free for the next worker (an orphan kept it and moved due jobs with no worker of its own)."""
    worker = start_worker(redis_url, kubeconfig)
    connection = Redis.from_url(redis_url)
    lock = f"rq:scheduler-lock:{queue_name('default')}"
    wait_for(
        lambda: connection.exists(lock) == 1 and bool(children_of(worker.pid)),
        what="the worker's scheduler to take the queue's lock",
        seconds=30,
    )
    [scheduler] = children_of(worker.pid)

    worker.kill()
    worker.wait(timeout=10)

    wait_for(lambda: not alive(scheduler), what="the scheduler to die with its worker", seconds=10)


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of the sockets ``pid`` holds open (from /proc)."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(descriptor)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_a_workers_scheduler_holds_none_of_the_connections_its_worker_waits_on(
    kubeconfig: Path, redis_url: str
) -> None:
    """The worker waits for jobs (``BLMOVE``) and messages (``SUBSCRIBE``) on connections its scheduler
    process must not share: killed, the worker's wait must end with it, or Redis hands the next job to the
    dead worker while the scheduler lives on (the job then sits in RQ's intermediate queue, run by nobody)."""
    worker = start_worker(redis_url, kubeconfig)
    connection = Redis.from_url(redis_url)

    def waiting() -> set[int]:
        clients = connection.client_list()
        return {int(c["addr"].rsplit(":", 1)[1]) for c in clients if c["cmd"] in {"blmove", "subscribe"}}

    try:
        wait_for(
            lambda: len(waiting()) == 2 and bool(children_of(worker.pid)),
            what="the worker to wait for jobs and messages beside its scheduler",
            seconds=30,
        )
        [scheduler] = children_of(worker.pid)
        assert waiting() <= local_ports(worker.pid)
        assert waiting() & local_ports(scheduler) == set()
    finally:
        stop(worker)
        connection.close()
