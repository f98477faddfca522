"""Approved jobs on a real Redis: one execution whatever the number of approvers, none on a stale plan."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import demo_policy, load_policy
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.jobevents import EventKind
from shared.jobs import queue_name
from shared.messages import jobs as job_messages
from tests.support.drills import Family, Tally
from tests.support.plans import asked, last_word
from workers import cluster

REQUEST_TS = "1700000000.000100"
APPROVERS = [f"U_LEAD{i:02d}" for i in range(20)]
POLICY = f"""
groups:
  oncall: [U_ALICE]
  leads: [{", ".join(APPROVERS)}]
rules:
  - commands: [scale]
    allow: [oncall]
    approval: {{approvers: [leads], count: 1, ttl: 15m}}
"""


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """This test's emptied real Redis."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Simulator]:
    """The default scenario, settled, with this process's workers pointed at it."""
    with Simulator(speed=10) as simulator:
        simulator.start()
        simulator.controllers.settle(timeout=30)
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        yield simulator


def work(connection: Redis) -> None:
    """Run every queued job of the default cluster (a burst of an in-process worker)."""
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    SimpleWorker([queue], connection=connection, serializer=JSONSerializer).work(
        burst=True, logging_level="ERROR"
    )


def ask(engine: Engine, text: str) -> Reply:
    """Alice asks; the reply says the plan comes first (it follows the plan job)."""
    [reply] = engine.handle(Message(user="U_ALICE", channel="C_OPS", ts=REQUEST_TS, text=text))
    assert reply.approval is None and reply.job_id is not None
    return reply


def planned(engine: Engine, connection: Redis, planning: Reply) -> Reply:
    """A worker runs the plan and the engine reads its last word: the approval request it opens."""
    work(connection)
    assert planning.job_id is not None
    [request] = engine.plans_reported([last_word(connection, planning.job_id)])
    assert request.approval is not None
    return request


@pytest.mark.drill(Family.CONCURRENT_APPROVALS, trials=10, quick=1)
def test_twenty_approvers_at_the_same_instant_release_the_job_exactly_once(
    connection: Redis, redis_url: str, *, trial: int, chance: random.Random, drill: Tally
) -> None:
    """Twenty leads approve at once, each through their own connection, started in a random order: one
    decision, one queued job."""
    engine = build_engine(policy=load_policy(POLICY), connection=connection, cluster="default")
    request = asked(engine, [ask(engine, "scale web 5")])
    assert request.approval is not None
    barrier = threading.Barrier(len(APPROVERS))
    replies: list[list[Reply]] = []
    lock = threading.Lock()

    def approve(user: str) -> None:
        own = Redis.from_url(redis_url)
        own_engine = build_engine(policy=load_policy(POLICY), connection=own, cluster="default")
        barrier.wait()
        answer = own_engine.handle(
            Message(
                user=user, channel="C_OPS", ts=f"1700000001.{user[-2:]}", text="approve", thread_ts=REQUEST_TS
            )
        )
        with lock:
            replies.append(answer)
        own.close()

    threads = [
        threading.Thread(target=approve, args=(user,)) for user in chance.sample(APPROVERS, len(APPROVERS))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    released = [reply for answer in replies for reply in answer if reply.job_id == request.approval.job_id]
    queued = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids()
    drill.tried(Family.CONCURRENT_APPROVALS)
    drill.lost(Family.CONCURRENT_APPROVALS, 1 - min(1, queued.count(request.approval.job_id)))
    drill.duplicated(
        Family.CONCURRENT_APPROVALS, max(len(released), queued.count(request.approval.job_id)) - 1
    )
    assert len(released) == 1
    assert queued.count(request.approval.job_id) == 1


def test_an_approved_job_runs_when_the_cluster_still_matches_its_plan(
    connection: Redis, sim: Simulator
) -> None:
    """Plan, approval, run: the deployment is scaled as approved."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = planned(engine, connection, ask(engine, "scale web 5"))
    assert request.approval is not None
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    assert last_word(connection, request.approval.job_id).kind is EventKind.SUCCEEDED
    assert sim.store.get("deployments", "default", "web")["spec"]["replicas"] == 5


def test_an_approval_is_void_when_the_target_changed_since_the_plan(
    connection: Redis, sim: Simulator
) -> None:
    """Someone scales the deployment between the plan and the approval: the job stops, changing nothing."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = planned(engine, connection, ask(engine, "scale web 5"))
    assert request.approval is not None
    sim.store.patch(
        "deployments",
        "default",
        "web",
        {"spec": {"replicas": 4}},
        content_type="application/merge-patch+json",
    )
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    final = last_word(connection, request.approval.job_id)
    assert final.kind is EventKind.FAILED
    assert job_messages.plan_changed_since_approval(["deployment/default/web"]) in final.text
    assert sim.store.get("deployments", "default", "web")["spec"]["replicas"] == 4
    job = Job.fetch(request.approval.job_id, connection=connection, serializer=JSONSerializer)
    assert job.get_status() == "failed"


def test_status_written_meanwhile_by_kubelets_and_controllers_does_not_void_an_approval(
    connection: Redis, sim: Simulator
) -> None:
    """A drain approved after node-2's heartbeat and the budget's counts were rewritten still runs."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = planned(engine, connection, ask(engine, "drain node-2 --force --delete-emptydir-data"))
    assert request.approval is not None

    def heartbeat(node: dict[str, Any]) -> None:
        node["status"]["conditions"] = [
            {**condition, "lastHeartbeatTime": "2030-01-01T00:00:00Z"}
            for condition in node["status"].get("conditions") or []
        ]

    before = sim.store.get("nodes", None, "node-2")["metadata"]["resourceVersion"]
    sim.store.mutate("nodes", None, "node-2", heartbeat, subresource="status")
    assert sim.store.get("nodes", None, "node-2")["metadata"]["resourceVersion"] != before
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    final = last_word(connection, request.approval.job_id)
    assert final.kind is EventKind.SUCCEEDED, final.text
    assert sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable") is True
