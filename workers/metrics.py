"""Prometheus metrics of a worker: jobs by operation and outcome, their durations, queue depth, API errors.

RQ forks a work horse per job, and a registry in the horse would die with it, so the job metrics
use prometheus_client's multiprocess mode: every process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR``, and the worker (the parent) serves them all merged at ``/metrics``.
prometheus_client chooses that mode when it is first imported, so import this module only after
the variable is set (``chatops worker --metrics-port`` does it in :func:`workers.cli.main`).
Queue depth is read from Redis when scraped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from workers.observing import JobOutcome

JOB_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
"""Seconds a job runs: a cordon takes a second, a drain minutes, an upgrade up to an hour."""


class PrometheusJobObserver:
    """Counts jobs and API errors into the multiprocess files (the metrics join no registry here)."""

    def __init__(self) -> None:
        self.jobs = Counter(
            "chatops_jobs",
            "Jobs ended, by operation and outcome (succeeded, failed, cancelled, crashed).",
            ["operation", "outcome"],
            registry=None,
        )
        self.job_seconds = Histogram(
            "chatops_job_seconds",
            "Time jobs ran, by operation.",
            ["operation"],
            registry=None,
            buckets=JOB_BUCKETS,
        )
        self.api_errors = Counter(
            "chatops_kubernetes_api_errors",
            "Kubernetes API calls that failed, by HTTP status (404 answers are not counted).",
            ["status"],
            registry=None,
        )
        self.refused = Counter(
            "chatops_jobs_refused",
            "Jobs found on a queue and refused unrun: not ours, unsigned, tampered, replayed or unapproved.",
            registry=None,
        )

    def job_finished(self, *, operation: str, outcome: JobOutcome, seconds: float) -> None:
        """Count one ended job and its duration."""
        self.jobs.labels(operation=operation, outcome=outcome.value).inc()
        self.job_seconds.labels(operation=operation).observe(seconds)

    def api_error(self, *, status: str) -> None:
        """Count one failed API call."""
        self.api_errors.labels(status=status).inc()

    def job_refused(self) -> None:
        """Count one refused job."""
        self.refused.inc()


class QueueDepth(Collector):
    """``chatops_queue_depth{queue}``: jobs waiting in each queue, read from Redis when scraped."""

    def __init__(self, connection: Redis, queues: Sequence[str]) -> None:
        self._connection = connection
        self._queues = tuple(queues)

    def collect(self) -> Iterator[Metric]:
        """One sample per queue; none when Redis cannot be reached (the scrape still answers)."""
        family = GaugeMetricFamily("chatops_queue_depth", "Jobs waiting in a queue.", labels=["queue"])
        try:
            for name in self._queues:
                family.add_metric([name], Queue(name, connection=self._connection).count)
        except RedisError:
            return
        yield family


def clear_directory(directory: Path) -> None:
    """Remove the value files of earlier runs (multiprocess files must not outlive the worker)."""
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def registry_for(*, directory: Path, connection: Redis, queues: Sequence[str]) -> CollectorRegistry:
    """What ``/metrics`` serves: every process's job values, merged, and the queue depth."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]  # untyped upstream
    registry.register(QueueDepth(connection, queues))
    return registry


def serve(
    *, port: int, address: str = "0.0.0.0", connection: Redis, queues: Sequence[str]
) -> threading.Thread:
    """Serve ``/metrics`` on a daemon thread of this process (the worker, not its horses)."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    registry = registry_for(directory=directory, connection=connection, queues=queues)
    _server, thread = start_http_server(port, addr=address, registry=registry)
    return thread
