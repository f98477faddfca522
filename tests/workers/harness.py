"""Running job functions for real: enqueued by dotted path on RQ, worked by a SimpleWorker, against kubesim.

:class:`JobRunner` owns one fakeredis server and one simulator kubeconfig; ``run("drain", node=...)``
enqueues ``workers.jobs.drain`` with the JSON serializer, works the queue in burst mode and returns the
finished :class:`Outcome`: the RQ job's status and result, and the events the job published.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import fakeredis
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

from kubesim.server import Simulator
from shared.job_signing import SignedJob
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent, RequestContext
from shared.jobs import cancel_flag_key, queue_name
from tests.support.job_key import TEST_SIGNER
from workers import cluster

QUEUE = queue_name("default")
_ids = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A finished job: RQ's view and the events it published."""

    job_id: str
    status: str
    result: Any
    events: list[JobEvent]

    def texts(self, kind: EventKind | None = None) -> list[str]:
        """The event texts, optionally of one kind only."""
        return [e.text for e in self.events if kind is None or e.kind == kind]

    @property
    def final(self) -> JobEvent:
        """The last event (succeeded, failed or cancelled)."""
        return self.events[-1]


def request_for(job_id: str) -> dict[str, str]:
    """The request context a bot would send with a job."""
    return RequestContext(
        job_id=job_id, user="U123", channel="C42", thread_ts="1700000000.000100", cluster="default"
    ).to_json()


def read_events(connection: Redis, job_id: str) -> list[JobEvent]:
    """Every event of one job, in order."""
    events = []
    entries: list[tuple[bytes, dict[bytes, bytes]]] = connection.xrange(EVENTS_STREAM) or []  # type: ignore[assignment]
    for _, fields in entries:
        decoded = {key.decode(): value.decode() for key, value in fields.items()}
        event = JobEvent.from_fields(decoded)
        if event.job_id == job_id:
            events.append(event)
    return events


class JobRunner:
    """Enqueue and work jobs on one Redis against one cluster."""

    def __init__(self, kubeconfig: Path, *, connection: Redis | None = None) -> None:
        self.connection = connection or fakeredis.FakeRedis(server=fakeredis.FakeServer())
        cluster.configure(kubeconfig=kubeconfig)
        self.queue = Queue(QUEUE, connection=self.connection, serializer=JSONSerializer)

    def enqueue(self, command: str, **kwargs: Any) -> str:
        """Put ``workers.jobs.<command>`` on the queue, signed as the bot signs; returns the job id."""
        job_id = f"job-test{next(_ids)}"
        function, arguments = f"workers.jobs.{command}", {**kwargs, "request": request_for(job_id)}
        signed = SignedJob(job_id=job_id, queue=QUEUE, function=function, args=(), kwargs=arguments)
        self.queue.enqueue_call(
            function,
            kwargs=arguments,
            job_id=job_id,
            timeout=600,
            meta=TEST_SIGNER.sign(signed, now=time.time()),
        )
        return job_id

    def work(self) -> None:
        """Run every queued job to its end in this process."""
        worker = SimpleWorker([self.queue], connection=self.connection, serializer=JSONSerializer)
        worker.work(burst=True)

    def outcome(self, job_id: str) -> Outcome:
        """How a job ended."""
        job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
        status = job.get_status(refresh=True)
        return Outcome(
            job_id=job_id,
            status=str(status.value if status else "unknown"),
            result=job.return_value(),
            events=read_events(self.connection, job_id),
        )

    def run(self, command: str, **kwargs: Any) -> Outcome:
        """Enqueue one job, work it, and return how it ended."""
        job_id = self.enqueue(command, **kwargs)
        self.work()
        return self.outcome(job_id)

    def cancel(self, job_id: str) -> None:
        """Ask a running job to stop (the flag the bot sets)."""
        self.connection.set(cancel_flag_key(job_id), 1)


def kinds(events: list[JobEvent]) -> list[EventKind]:
    """The kinds of a job's events, in order."""
    return [event.kind for event in events]


def plan_of(outcome: Outcome) -> Mapping[str, Any]:
    """The plan a job returned."""
    plan: Mapping[str, Any] = outcome.result["plan"]
    return plan


def wait_for(predicate: Callable[[], bool], *, what: str, seconds: float = 20.0) -> None:
    """Poll until ``predicate()`` holds (a fixture waiting for the simulated cluster, not a timed assertion)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def settled(sim: Simulator) -> Simulator:
    """Wait until the default scenario's deployments are available and web-pdb has a status."""

    def ready() -> bool:
        for name in ("web", "api"):
            deployment = sim.store.find("deployments", "default", name)
            if deployment is None:
                return False
            status = deployment.get("status") or {}
            if status.get("availableReplicas") != deployment["spec"]["replicas"]:
                return False
        pdb = sim.store.find("poddisruptionbudgets", "default", "web-pdb") or {}
        return "disruptionsAllowed" in (pdb.get("status") or {})

    wait_for(ready, what="the default scenario to settle")
    return sim


def non_daemon_pods(sim: Simulator, node: str) -> list[str]:
    """``namespace/name`` of the pods on a node that are not DaemonSet pods."""
    names = []
    for pod in sim.store.pods_on_node(node):
        owners = pod["metadata"].get("ownerReferences") or []
        if not any(owner.get("kind") == "DaemonSet" for owner in owners):
            names.append(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
    return names


def set_min_available(sim: Simulator, value: int) -> None:
    """Change web-pdb's minAvailable (3 of 3 replicas blocks every eviction)."""
    sim.store.patch(
        "poddisruptionbudgets",
        "default",
        "web-pdb",
        {"spec": {"minAvailable": value}},
        content_type="application/merge-patch+json",
    )
