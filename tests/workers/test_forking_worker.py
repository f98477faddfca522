"""The production path: a real forking ``chatops worker --burst`` on a real Redis, against the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis

from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.workers.harness import JobRunner, non_daemon_pods

pytestmark = pytest.mark.redis


def run_worker(redis_url: str, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    """Run ``chatops worker --burst`` (forks a work-horse per job) until the queue is empty."""
    chatops = Path(sys.executable).parent / "chatops"
    env = {**os.environ, "REDIS_URL": redis_url, "KUBECONFIG": str(kubeconfig), "CHATOPS_CLUSTER": "default"}
    return subprocess.run(
        [str(chatops), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_forking_worker_cordons_a_node(sim: Simulator, kubeconfig: Path, redis_url: str) -> None:
    """cordon through a real worker process: the node is unschedulable and the events reached Redis."""
    runner = JobRunner(kubeconfig, connection=Redis.from_url(redis_url))
    job_id = runner.enqueue("cordon", node="node-3")
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    outcome = runner.outcome(job_id)
    assert outcome.status == "finished"
    assert [e.kind for e in outcome.events] == [EventKind.STARTED, EventKind.PROGRESS, EventKind.SUCCEEDED]
    assert sim.store.get("nodes", None, "node-3")["spec"]["unschedulable"] is True
    logged = [json.loads(line) for line in worker.stderr.splitlines() if line.startswith("{")]
    [started] = [line for line in logged if line.get("job_id") == job_id]
    assert started["logger"] == "chatops.workers"
    assert started["cluster"] == "default"


def test_a_forking_worker_drains_a_node(sim: Simulator, kubeconfig: Path, redis_url: str) -> None:
    """drain through a real worker process: node-1 ends cordoned with only DaemonSet pods left."""
    runner = JobRunner(kubeconfig, connection=Redis.from_url(redis_url))
    moving = non_daemon_pods(sim, "node-1")
    job_id = runner.enqueue("drain", node="node-1")
    worker = run_worker(redis_url, kubeconfig)
    assert worker.returncode == 0, worker.stderr
    outcome = runner.outcome(job_id)
    assert outcome.status == "finished", outcome.texts()
    assert sorted(outcome.result["evicted"]) == sorted(moving)
    assert non_daemon_pods(sim, "node-1") == []
    assert sim.store.get("nodes", None, "node-1")["spec"]["unschedulable"] is True
