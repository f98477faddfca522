"""REDIS_URL through Redis Sentinel, against real redis-server and sentinel processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.core.conversation import Message
from bot.core.policy_file import load_policy
from bot.redis_url import FAILOVER_SECONDS, connect
from bot.wiring import build_engine
from kubesim.testing import running_simulator
from shared.jobs import job_id_for
from tests.clusters.sentinels import SERVICE, running_sentinel_setup, wait_until
from tests.support.job_key import TEST_JOB_KEY

pytestmark = pytest.mark.redis


def test_a_sentinel_url_reaches_the_master_and_rq_enqueues_and_reads_there(tmp_path: Path) -> None:
    """Writes through the sentinel URL land on the master the sentinel names, and RQ works on them."""
    with running_sentinel_setup(tmp_path) as setup:
        client = connect(setup.url)
        queue = Queue("chatops-a", connection=client, serializer=JSONSerializer)
        job = queue.enqueue("workers.jobs.cordon", kwargs={"node": "node-1"}, job_id="sentinel-job")
        assert queue.job_ids == ["sentinel-job"]
        assert job.kwargs == {"node": "node-1"}
        direct = connect(f"redis://127.0.0.1:{setup.master_port}/0")
        assert direct.lrange("rq:queue:chatops-a", 0, -1) == [b"sentinel-job"]


@pytest.mark.slow
def test_after_a_failover_the_same_client_follows_the_promoted_replica(tmp_path: Path) -> None:
    """SENTINEL FAILOVER promotes the replica; the client keeps its data and writes to the new master."""
    with running_sentinel_setup(tmp_path, replicas=1) as setup:
        client = connect(setup.url)
        client.set("before", "1")
        assert client.wait(1, 5000) == 1  # the replica has it: an acknowledged write survives the failover
        setup.sentinel().sentinel_failover(SERVICE)
        [replica_port] = setup.replica_ports
        wait_until(lambda: setup.master_address()[1] == replica_port, what="the replica's promotion")
        wait_until(lambda: _role(replica_port) == "master", what="the replica to accept writes")
        # Until the sentinel demotes the old master, a pooled connection to it still takes writes that
        # the demotion then discards (README, "Redis failover"); once it is a replica, the client moves.
        wait_until(lambda: _role(setup.master_port) == "slave", what="the old master's demotion")
        client.set("after", "2")
        promoted = connect(f"redis://127.0.0.1:{replica_port}/0")
        assert (promoted.get("before"), promoted.get("after")) == (b"1", b"2")
        assert promoted.info("replication")["role"] == "master"


@pytest.mark.slow
def test_a_command_sent_while_the_master_is_dead_waits_for_the_promoted_replica(tmp_path: Path) -> None:
    """The master SIGKILLed: a write sent at once is retried until the sentinel promotes the replica
    (5 s after the master went silent, here) and lands there, instead of failing the job that sent it."""
    with running_sentinel_setup(tmp_path, replicas=1, down_after_ms=5000) as setup:
        client = connect(setup.url)
        client.set("before", "1")
        assert client.wait(1, 5000) == 1
        setup.kill_server(setup.master_port)
        killed = time.monotonic()
        client.set("during", "2")
        waited = time.monotonic() - killed
        [replica_port] = setup.replica_ports
        assert setup.master_address()[1] == replica_port
        promoted = connect(f"redis://127.0.0.1:{replica_port}/0")
        assert (promoted.get("before"), promoted.get("during")) == (b"1", b"2")
        assert 5.0 < waited < FAILOVER_SECONDS


def test_a_forking_worker_given_a_sentinel_url_works_a_job_queued_through_the_same_url(
    tmp_path: Path,
) -> None:
    """``chatops worker`` and the engine both reach Redis through the sentinel; the node gets cordoned."""
    chatops = Path(sys.executable).parent / "chatops"
    with running_sentinel_setup(tmp_path / "redis") as setup, running_simulator(speed=20.0) as sim:
        policy = load_policy('rules:\n  - {commands: ["*"], allow: ["*"]}\n')
        engine = build_engine(
            policy=policy, connection=connect(setup.url), cluster="a", job_key=TEST_JOB_KEY.encode()
        )
        engine.handle(Message(user="U0ALICE", channel="C0OPS", ts="1.000001", text="cordon node-1"))
        env = {
            **os.environ,
            "REDIS_URL": setup.url,
            "KUBECONFIG": str(sim.write_kubeconfig(tmp_path / "kubeconfig")),
        }
        worker = subprocess.run(
            [str(chatops), "worker", "--cluster", "a", "--burst"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert worker.returncode == 0, worker.stderr
        job = Job.fetch(
            job_id_for(channel="C0OPS", message_ts="1.000001"),
            connection=connect(setup.url),
            serializer=JSONSerializer,
        )
        assert job.get_status() == JobStatus.FINISHED
        assert sim.store.get("nodes", None, "node-1")["spec"]["unschedulable"] is True


def test_a_worker_given_an_unusable_redis_url_stops_at_once_saying_why() -> None:
    """A sentinel URL without a service name is a start-up error (exit 2), not a crash loop of tracebacks."""
    chatops = Path(sys.executable).parent / "chatops"
    env = {**os.environ, "REDIS_URL": "redis+sentinel://127.0.0.1:1"}
    worker = subprocess.run(
        [str(chatops), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert (worker.returncode, worker.stderr.splitlines()[-1]) == (
        2,
        "chatops worker: REDIS_URL names no service: write the master's name after the hosts, as in /mymaster",
    )


def _role(port: int) -> str | None:
    """The server's replication role, or None while it resets its clients (it does so as its role changes)."""
    try:
        role: str = connect(f"redis://127.0.0.1:{port}/0").info("replication")["role"]
    except redis.ConnectionError:
        return None
    return role
