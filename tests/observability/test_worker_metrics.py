"""A forking ``chatops worker --metrics-port`` serves its jobs' counts, durations, API errors and queue depth."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path

import fakeredis
import pytest
from prometheus_client import CollectorRegistry
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from kubesim.faults import RequestFault
from kubesim.server import Simulator
from kubesim.testing import running_simulator
from shared.jobs import queue_name
from tests.observability.scrape import Samples, collect, label_values, scrape, value
from tests.support.ports import free_port
from tests.workers.harness import JobRunner, settled, wait_for
from workers.metrics import QueueDepth

QUEUE = queue_name("default")

redis = pytest.mark.redis


@pytest.fixture(name="sim")
def fixture_sim() -> Iterator[Simulator]:
    """The default scenario, running fast."""
    with running_simulator(speed=20.0) as simulator:
        yield settled(simulator)


class MetricsWorker:
    """A real ``chatops worker --metrics-port`` (not burst) on the default queue, stopped by the fixture."""

    def __init__(self, *, redis_url: str, kubeconfig: Path, log: Path, metrics_dir: Path | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "KUBECONFIG": str(kubeconfig),
            "CHATOPS_CLUSTER": "default",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if metrics_dir is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        chatops = Path(sys.executable).parent / "chatops"
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [str(chatops), "worker", "--metrics-port", str(self.port)],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._serving, what="the worker's /metrics")

    def _serving(self) -> bool:
        try:
            scrape(self.url)
        except (urllib.error.URLError, ConnectionError):
            assert self.process.poll() is None, self.log.read_text()
            return False
        return True

    def stop(self) -> None:
        """SIGTERM (finish the current job, then exit) and wait for the exit."""
        self.process.terminate()
        self.process.wait(timeout=60)
        self._log_file.close()


StartWorker = Callable[..., MetricsWorker]


@pytest.fixture(name="start_worker")
def fixture_start_worker(sim: Simulator, redis_url: str, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts metrics workers against the simulator (``metrics_dir=None``: the worker makes its own)."""
    started: list[MetricsWorker] = []

    def start(*, metrics_dir: Path | None = None) -> MetricsWorker:
        worker = MetricsWorker(
            redis_url=redis_url,
            kubeconfig=sim.write_kubeconfig(tmp_path / "kubeconfig"),
            log=tmp_path / f"worker-{len(started)}.log",
            metrics_dir=metrics_dir,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def run_jobs(runner: JobRunner, *commands: tuple[str, str]) -> None:
    """Enqueue ``(command, node)`` jobs and wait until the worker has ended them all."""
    job_ids = [runner.enqueue(command, node=node) for command, node in commands]

    def ended() -> bool:
        return all(runner.outcome(job_id).status in {"finished", "failed"} for job_id in job_ids)

    wait_for(ended, what="the jobs to end", seconds=60)


@redis
def test_jobs_of_forked_horses_are_counted_by_operation_and_outcome(
    sim: Simulator, redis_url: str, start_worker: StartWorker, tmp_path: Path
) -> None:
    """One cordon succeeds, one meets an injected 500, one names a missing node: all three are counted."""
    worker = start_worker(metrics_dir=tmp_path / "metrics")
    sim.faults.add_request_fault(RequestFault(action=500, method="PATCH", path=r"/nodes/node-2$", times=1))
    runner = JobRunner(
        sim.write_kubeconfig(tmp_path / "runner-kubeconfig"), connection=Redis.from_url(redis_url)
    )
    run_jobs(runner, ("cordon", "node-3"), ("cordon", "node-2"), ("cordon", "node-9"))
    samples: Samples = scrape(worker.url)
    assert value(samples, "chatops_jobs_total", operation="cordon", outcome="succeeded") == 1
    assert value(samples, "chatops_jobs_total", operation="cordon", outcome="failed") == 2
    assert value(samples, "chatops_job_seconds_count", operation="cordon") == 3
    assert value(samples, "chatops_job_seconds_bucket", operation="cordon", le="+Inf") == 3
    assert value(samples, "chatops_kubernetes_api_errors_total", status="500") == 1
    assert value(samples, "chatops_queue_depth", queue=QUEUE) == 0
    assert list((tmp_path / "metrics").glob("*.db")), "the horses wrote to the given directory"


@redis
def test_kubernetes_api_errors_are_counted_by_status_but_not_missing_objects(
    sim: Simulator, redis_url: str, start_worker: StartWorker, tmp_path: Path
) -> None:
    """Two injected 503s on a read (retried, then it succeeds) count; a 404 for a missing node does not.

    This worker is given no directory for its values: it makes (and later removes) its own.
    """
    worker = start_worker()
    sim.faults.add_request_fault(RequestFault(action=503, method="GET", path=r"/nodes/node-3$", times=2))
    runner = JobRunner(
        sim.write_kubeconfig(tmp_path / "runner-kubeconfig"), connection=Redis.from_url(redis_url)
    )
    run_jobs(runner, ("cordon", "node-3"), ("cordon", "node-9"))
    samples = scrape(worker.url)
    assert value(samples, "chatops_jobs_total", operation="cordon", outcome="succeeded") == 1
    assert value(samples, "chatops_kubernetes_api_errors_total", status="503") == 2
    assert label_values(samples, "chatops_kubernetes_api_errors_total", "status") == {"503"}


def test_queue_depth_counts_the_jobs_waiting_in_each_queue() -> None:
    """Two jobs waiting on the default queue, none on prod's: read from Redis when collected."""
    connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    queue = Queue(QUEUE, connection=connection, serializer=JSONSerializer)
    queue.enqueue_call("workers.jobs.cordon", kwargs={"node": "node-1"})
    queue.enqueue_call("workers.jobs.cordon", kwargs={"node": "node-2"})
    registry = CollectorRegistry()
    registry.register(QueueDepth(connection, [QUEUE, queue_name("prod")]))
    samples = collect(registry)
    assert value(samples, "chatops_queue_depth", queue=QUEUE) == 2
    assert value(samples, "chatops_queue_depth", queue=queue_name("prod")) == 0
