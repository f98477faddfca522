"""A real forking ``chatops worker`` runs only our job functions, as the bot signed them, approved when gated.

Whoever can write to Redis can put a job on a queue; these tests do it as an attacker would, on a real
redis-server, and check that the worker refuses the job and that nothing of it ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import load_policy
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.job_signing import JOB_KEY_VARIABLE, JobSigner, SignedJob, approval_record_key
from shared.jobevents import EventKind
from shared.jobs import plan_job_id, queue_name
from shared.messages import admission as messages
from tests.support.job_key import TEST_JOB_KEY
from tests.support.plans import last_word
from tests.workers.harness import read_events, request_for

pytestmark = pytest.mark.redis

QUEUE = queue_name("default")
REQUEST_TS = "1700000000.000100"
POLICY = """
groups:
  oncall: [U_ALICE]
  leads: [U_BOB]
rules:
  - commands: [scale]
    allow: [oncall]
    approval: {approvers: [leads], count: 1, ttl: 15m}
  - commands: [cordon, uncordon, nodes]
    allow: [oncall]
"""


def run_worker(redis_url: str, kubeconfig: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``chatops worker --burst``: a forking worker, one work-horse per job, until the queue is empty."""
    chatops = Path(sys.executable).parent / "chatops"
    environ = {**os.environ, "REDIS_URL": redis_url, "KUBECONFIG": str(kubeconfig), **env}
    return subprocess.run(
        [str(chatops), "worker", "--burst"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def status_and_reason(connection: Redis, job_id: str) -> tuple[str, str]:
    """How RQ recorded a job: its status and the reason it failed (empty if it did not)."""
    job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    status = job.get_status(refresh=True)
    result = job.latest_result()
    return str(status.value if status else ""), (result.exc_string or "") if result else ""


def replicas(sim: Simulator) -> int:
    """web's replica count as the API server holds it."""
    return int(sim.store.get("deployments", "default", "web")["spec"]["replicas"])


def unschedulable(sim: Simulator, node: str) -> bool:
    """Whether a node is cordoned."""
    return bool(sim.store.get("nodes", None, node)["spec"].get("unschedulable"))


def engine_on(connection: Redis) -> Engine:
    """The bot's engine, signing with the suite's key."""
    return build_engine(
        policy=load_policy(POLICY), connection=connection, cluster="default", job_key=TEST_JOB_KEY.encode()
    )


def say(engine: Engine, user: str, text: str, *, ts: str, thread_ts: str | None = None) -> list[Reply]:
    """A message in the ops channel."""
    return engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text, thread_ts=thread_ts))


def opened(
    engine: Engine, connection: Redis, redis_url: str, kubeconfig: Path, planning: list[Reply]
) -> Reply:
    """A worker runs the request's plan first; its last word opens the request (the approval card)."""
    [reply] = planning
    assert reply.job_id is not None
    assert run_worker(redis_url, kubeconfig).returncode == 0
    [request] = engine.plans_reported([last_word(connection, reply.job_id)])
    return request


def test_a_job_naming_any_other_function_is_refused_and_nothing_runs(
    kubeconfig: Path, redis_url: str, tmp_path: Path
) -> None:
    """``os.system`` put on the queue directly never runs: the job fails as not one of ours."""
    connection = Redis.from_url(redis_url)
    marker = tmp_path / "owned"
    queue = Queue(QUEUE, connection=connection, serializer=JSONSerializer)
    job = queue.enqueue_call("os.system", args=(f"touch {marker}",), job_id="job-evil")
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    assert not marker.exists()
    status, reason = status_and_reason(connection, job.id)
    assert status == "failed"
    assert messages.not_a_job_function(function="os.system") in reason


def test_an_unsigned_or_tampered_job_is_refused_and_changes_nothing(
    sim: Simulator, kubeconfig: Path, redis_url: str
) -> None:
    """Our own ``cordon`` unsigned, signed with another key, or changed after signing: none of them runs."""
    connection = Redis.from_url(redis_url)
    queue = Queue(QUEUE, connection=connection, serializer=JSONSerializer)
    kwargs = {"node": "node-1", "request": request_for("job-unsigned")}
    queue.enqueue_call("workers.jobs.cordon", kwargs=kwargs, job_id="job-unsigned")
    foreign = JobSigner(b"another-key-another-key-another-key!")
    kwargs = {"node": "node-2", "request": request_for("job-foreign")}
    signed = SignedJob("job-foreign", QUEUE, "workers.jobs.cordon", (), kwargs)
    queue.enqueue_call(
        "workers.jobs.cordon", kwargs=kwargs, job_id="job-foreign", meta=foreign.sign(signed, now=time.time())
    )
    engine = engine_on(connection)
    [queued] = say(engine, "U_ALICE", "cordon node-2", ts="1700000000.000200")
    assert queued.job_id is not None
    tampered = Job.fetch(queued.job_id, connection=connection, serializer=JSONSerializer)
    tampered.kwargs = {**tampered.kwargs, "node": "node-3"}
    tampered.save()
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    for job_id in ("job-unsigned", "job-foreign", queued.job_id):
        status, reason = status_and_reason(connection, job_id)
        assert (status, messages.bad_signature() in reason) == ("failed", True), job_id
        assert [e.kind for e in read_events(connection, job_id) if e.kind is EventKind.STARTED] == []
    assert [unschedulable(sim, node) for node in ("node-1", "node-2", "node-3")] == [False, False, False]


def test_a_gated_job_pushed_onto_the_queue_without_its_approval_is_refused(
    sim: Simulator, kubeconfig: Path, redis_url: str
) -> None:
    """The parked ``scale web 0`` pushed onto the queue, even beside a forged "approved" record, never runs."""
    connection = Redis.from_url(redis_url)
    engine = engine_on(connection)
    before = replicas(sim)
    request = opened(
        engine, connection, redis_url, kubeconfig, say(engine, "U_ALICE", "scale web 0", ts=REQUEST_TS)
    )
    assert request.approval is not None
    job_id, approval_id = request.approval.job_id, request.approval.approval_id
    connection.set(approval_record_key(approval_id), json.dumps({"state": "approved", "job_id": job_id}))
    connection.rpush(f"rq:queue:{QUEUE}", job_id)
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    status, reason = status_and_reason(connection, job_id)
    assert status == "failed"
    assert messages.not_released() in reason
    assert status_and_reason(connection, plan_job_id(job_id))[0] == "finished"
    assert replicas(sim) == before


def test_a_gated_job_runs_once_approved_and_never_again_when_replayed(
    sim: Simulator, kubeconfig: Path, redis_url: str
) -> None:
    """Bob's approval releases ``scale web 5``, which runs; pushing its id again later runs nothing."""
    connection = Redis.from_url(redis_url)
    engine = engine_on(connection)
    request = opened(
        engine, connection, redis_url, kubeconfig, say(engine, "U_ALICE", "scale web 5", ts=REQUEST_TS)
    )
    assert request.approval is not None
    job_id = request.approval.job_id
    say(engine, "U_BOB", "approve", ts="1700000001.000100", thread_ts=REQUEST_TS)
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    assert status_and_reason(connection, job_id) == ("finished", "")
    assert replicas(sim) == 5
    sim.store.patch(
        "deployments",
        "default",
        "web",
        {"spec": {"replicas": 2}},
        content_type="application/merge-patch+json",
    )
    connection.rpush(f"rq:queue:{QUEUE}", job_id)
    assert run_worker(redis_url, kubeconfig).returncode == 0
    status, reason = status_and_reason(connection, job_id)
    assert status == "failed"
    assert messages.replayed() in reason
    assert replicas(sim) == 2


def test_a_worker_without_the_job_key_refuses_to_start(kubeconfig: Path, redis_url: str) -> None:
    """No ``CHATOPS_JOB_KEY``, no worker: it says what to set, and exits 2."""
    worker = run_worker(redis_url, kubeconfig, **{JOB_KEY_VARIABLE: ""})
    assert worker.returncode == 2
    assert messages.job_key_missing(program="chatops worker") in worker.stderr
