"""Scale-out as deployed: one queue per cluster, two forking workers on each, commands routed by the engine.

Two simulated clusters (``a`` and ``b``), one real Redis, and four real ``chatops worker --cluster``
processes, each holding only its own cluster's kubeconfig. The engine sends a command to the cluster
its ``--cluster`` names, else to its channel's cluster from the policy, else to the bot's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message
from bot.core.pages import PAGE_SIZE, ReadingPage
from bot.core.policy_file import load_policy
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.jobs import job_id_for
from shared.text_safety import code
from tests.clusters.sentinels import wait_until
from tests.support.job_key import TEST_JOB_KEY

pytestmark = [pytest.mark.redis, pytest.mark.slow]

POLICY = """
channel_clusters:
  C0B: b
rules:
  - {commands: ["*"], allow: ["*"]}
"""
"""Anyone may do anything; channel C0B's commands go to cluster ``b``, other channels' to the bot's ``a``."""

WORKERS = ("a-1", "a-2", "b-1", "b-2")


@pytest.fixture(name="workers")
def fixture_workers(
    clusters: dict[str, tuple[Simulator, Path]], redis_url: str, tmp_path: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two ``chatops worker --cluster NAME`` processes per cluster, idle on their queue, stopped after."""
    chatops = Path(sys.executable).parent / "chatops"
    processes = []
    for name in WORKERS:
        cluster = name.split("-")[0]
        env = {**os.environ, "REDIS_URL": redis_url, "KUBECONFIG": str(clusters[cluster][1])}
        with (tmp_path / f"{name}.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(chatops), "worker", "--cluster", cluster, "--name", name],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    connection = Redis.from_url(redis_url)
    try:
        wait_until(
            lambda: sorted(worker.name for worker in Worker.all(connection=connection)) == list(WORKERS),
            what="four registered workers",
            timeout=30,
        )
        # Registered workers are about to block on their queue; give both of a pair time to get there.
        time.sleep(0.5)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def say(engine: Engine, text: str, *, channel: str, ts: str) -> tuple[str, str]:
    """Send ``text`` in ``channel``; return the job id and the bot's reply."""
    [reply] = engine.handle(Message(user="U0ALICE", channel=channel, ts=ts, text=text))
    return job_id_for(channel=channel, message_ts=ts), reply.text


def _failure(connection: Redis, job_id: str) -> str:
    result = Job.fetch(job_id, connection=connection, serializer=JSONSerializer).latest_result()
    return "" if result is None else str(result.exc_string)


def cordoned(sim: Simulator) -> set[str]:
    """The names of the nodes marked unschedulable in a simulated cluster."""
    return {
        name
        for name in ("node-1", "node-2", "node-3")
        if sim.store.get("nodes", None, name)["spec"].get("unschedulable")
    }


def test_commands_reach_the_cluster_they_are_routed_to_and_every_worker_shares_the_work(
    clusters: dict[str, tuple[Simulator, Path]], redis_url: str, workers: list[subprocess.Popen[bytes]]
) -> None:
    """--cluster beats the channel's cluster, which beats the bot's; each queue's two workers both take jobs."""
    connection = Redis.from_url(redis_url)
    engine = build_engine(
        policy=load_policy(POLICY), connection=connection, cluster="a", job_key=TEST_JOB_KEY.encode()
    )
    sent = [
        (say(engine, "cordon node-1", channel="C0OPS", ts="1.000001"), "a"),  # the bot's cluster
        (say(engine, "cordon node-2 --cluster b", channel="C0OPS", ts="1.000002"), "b"),  # --cluster
        (say(engine, "cordon node-3", channel="C0B", ts="1.000003"), "b"),  # the channel's cluster
    ]
    # node-2 of cluster a waits for node-2 of cluster b: target locks are keyed by name alone today.
    wait_until(lambda: finished(connection, [job_id for (job_id, _), _ in sent]), what="the first jobs")
    sent.append(
        (say(engine, "cordon node-2 --cluster a", channel="C0B", ts="1.000004"), "a")
    )  # --cluster wins
    jobs = {job_id: cluster for (job_id, _), cluster in sent}
    wait_until(lambda: finished(connection, list(jobs)), what="every job")

    assert [f"on cluster {code(cluster)}" in reply for (_, reply), cluster in sent] == [True] * 4
    assert cordoned(clusters["a"][0]) == {"node-1", "node-2"}
    assert cordoned(clusters["b"][0]) == {"node-2", "node-3"}
    ran_on = {
        job_id: str(Job.fetch(job_id, connection=connection, serializer=JSONSerializer).worker_name)
        for job_id in jobs
    }
    assert {job_id: name.split("-")[0] for job_id, name in ran_on.items()} == jobs
    assert sorted(ran_on.values()) == sorted(WORKERS)
    assert [process.poll() for process in workers] == [None] * len(WORKERS)


def finished(connection: Redis, job_ids: list[str]) -> bool:
    """Whether every job finished; a failed one fails the test with its traceback."""
    statuses = [
        Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() for job_id in job_ids
    ]
    failed = [job_id for job_id, status in zip(job_ids, statuses, strict=True) if status == JobStatus.FAILED]
    assert failed == [], [_failure(connection, job_id) for job_id in failed]
    return all(status == JobStatus.FINISHED for status in statuses)


def test_help_names_the_cluster_of_the_channel_it_is_asked_in(redis_url: str) -> None:
    """``help`` says where commands typed in this channel go: the channel's cluster, else the bot's."""
    engine = build_engine(
        policy=load_policy(POLICY),
        connection=Redis.from_url(redis_url),
        cluster="a",
        job_key=TEST_JOB_KEY.encode(),
    )
    [in_b] = engine.handle(Message(user="U0ALICE", channel="C0B", ts="2.000001", text="help"))
    [elsewhere] = engine.handle(Message(user="U0ALICE", channel="C0OPS", ts="2.000002", text="help"))
    [named] = engine.handle(Message(user="U0ALICE", channel="C0B", ts="2.000003", text="help --cluster a"))
    assert in_b.text.startswith(f"Commands you may run here (on cluster {code('b')}):")
    assert elsewhere.text.startswith(f"Commands you may run here (on cluster {code('a')}):")
    assert named.text.startswith(f"Commands you may run here (on cluster {code('a')}):")


def test_jobs_lists_the_channels_cluster_on_every_page(redis_url: str) -> None:
    """``jobs`` in a channel with a cluster reads that cluster's queue, and so does its older page."""
    engine = build_engine(
        policy=load_policy(POLICY),
        connection=Redis.from_url(redis_url),
        cluster="a",
        job_key=TEST_JOB_KEY.encode(),
    )
    for number in range(PAGE_SIZE + 2):
        say(engine, f"cordon node-{number}", channel="C0B", ts=f"3.{number:06d}")
    [listing] = engine.handle(Message(user="U0ALICE", channel="C0B", ts="3.999999", text="jobs"))
    assert listing.text.startswith(f"Latest jobs on cluster {code('b')}:")
    assert isinstance(listing.view, ReadingPage)
    assert listing.view.older is not None
    older = engine.read(listing.view.older, user="U0ALICE", user_groups=frozenset(), channel="C0B")
    assert isinstance(older.view, ReadingPage)
    assert (older.view.title, len(older.view.items)) == (listing.view.title, 2)
