"""Settling the jobs of a worker killed in the middle of them: found once, failed once, told once.

:func:`reap` finds started jobs whose watched worker went silent (its liveness key expired; see
:mod:`workers.watchdog`), or, for other workers, whose RQ heartbeat expired, and settles each once: the
job is marked failed in RQ, the requester gets a FAILED event saying what was done before the worker
died (from the job's own progress events), and the target's lock is freed when it is certainly the dead
job's (otherwise its TTL frees it). A re-run then finishes the work: every step checks the actual state
first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent, RequestContext
from shared.messages import jobs as messages
from shared.messages import operations as wording
from workers.locks import LOCK_TTL_SECONDS, UPGRADE_LOCK, lock_key
from workers.report import Reporter

log = logging.getLogger("chatops.watchdog")

WATCHED_WORKERS = "chatops:watched-workers"
"""Hash: worker name → JSON ``{"seen": epoch seconds, "liveness": seconds}`` of each watched worker."""

SETTLED_SECONDS = 86_400
"""How long the claim that a dead job was settled is kept (one reaper settles it, once)."""

FORGET_SECONDS = 86_400
"""A watched worker silent this long is dropped from :data:`WATCHED_WORKERS`."""

_RELEASE_IF_UNCHANGED = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


@dataclasses.dataclass(frozen=True)
class Settled:
    """A job found dead and settled: what it had done, and whether its lock was freed."""

    job_id: str
    cause: str
    done: tuple[str, ...]
    evicted: tuple[str, ...]
    lock_released: bool


def alive_key(worker: str) -> str:
    """Redis key that exists while ``worker``'s parent process is alive."""
    return f"chatops:worker-alive:{worker}"


def _settled_key(job_id: str, execution: str) -> str:
    return f"chatops:settled:{job_id}:{execution}"


# --- what a dead job had done ----------------------------------------------------------------------------


def job_events(connection: Redis, job_id: str, *, since: dt.datetime | None) -> list[JobEvent]:
    """The events ``job_id`` published, read from the stream from ``since`` on (the whole stream if None)."""
    start = "-" if since is None else f"{int(since.timestamp() * 1000) - 1000}-0"
    entries: list[tuple[bytes, dict[bytes, bytes]]] = connection.xrange(EVENTS_STREAM, min=start) or []  # type: ignore[assignment]
    found = []
    for _, fields in entries:
        decoded = {key.decode(): value.decode() for key, value in fields.items()}
        if decoded.get("job_id") == job_id:
            found.append(JobEvent.from_fields(decoded))
    return found


def done_so_far(events: Sequence[JobEvent]) -> tuple[list[str], list[str]]:
    """The steps a job reported (other than waiting), and the pods it reported evicted, in order."""
    steps: list[str] = []
    evicted: list[str] = []
    for event in events:
        if event.kind != EventKind.PROGRESS or "budget" in event.details:
            continue
        pod = event.details.get("pod")
        if isinstance(pod, str):
            if pod not in evicted:
                evicted.append(pod)
        elif event.text not in steps:
            steps.append(event.text)
    return steps, evicted


def target_of(job: Job) -> str | None:
    """The lock target of a job (``node/x``, ``deployment/ns/name``), from its JSON arguments."""
    kwargs: Mapping[str, Any] = job.kwargs or {}
    if isinstance(kwargs.get("node"), str):
        return f"node/{kwargs['node']}"
    if isinstance(kwargs.get("deployment"), str):
        return f"deployment/{kwargs.get('namespace') or 'default'}/{kwargs['deployment']}"
    return None


CLUSTER_WIDE_JOBS = frozenset({"workers.jobs.upgrade_nodes", "workers.jobs.upgrade_control_plane"})
"""Jobs that lock the cluster's upgrade and, one after another, the nodes they work on."""


def targets_of(connection: Redis, job: Job) -> list[str]:
    """Every lock target a dead job may have held: its one target, or an upgrade's and its nodes'.

    Which node an upgrade was on when it died is not in its arguments, so every node lock of the
    cluster is a candidate: :func:`release_dead_lock` frees only those nobody refreshed since.
    """
    single = target_of(job)
    if single is not None:
        return [single]
    if job.func_name not in CLUSTER_WIDE_JOBS:
        return []
    prefix = lock_key("", cluster=_request_of(job).cluster)
    nodes = sorted(
        (key.decode() if isinstance(key, bytes) else str(key)).removeprefix(prefix)
        for key in connection.scan_iter(match=prefix + "node/*", count=500)
    )
    return [UPGRADE_LOCK, *nodes]


def release_dead_lock(connection: Redis, target: str, *, cluster: str, last_alive: float, now: float) -> bool:
    """Free ``target``'s lock if nobody refreshed it since the dead job was last alive.

    A lock's expiry is its last refresh plus :data:`~workers.locks.LOCK_TTL_SECONDS`. One expiring later than
    ``last_alive`` allows was refreshed by a living holder, and stays.
    """
    key = lock_key(target, cluster=cluster)
    token = connection.get(key)
    remaining_ms = int(connection.pttl(key))
    if token is None or remaining_ms < 0:
        return False
    if now + remaining_ms / 1000 > last_alive + LOCK_TTL_SECONDS + 1.0:
        return False
    return bool(connection.eval(_RELEASE_IF_UNCHANGED, 1, key, token))


# --- settling a dead job -----------------------------------------------------------------------------------


def _request_of(job: Job) -> RequestContext:
    request = (job.kwargs or {}).get("request")
    if isinstance(request, Mapping):
        return RequestContext.from_json(request)
    return RequestContext(job_id=job.id, user="", channel="", thread_ts="", cluster="")


def settle(
    connection: Redis,
    job: Job,
    *,
    execution: str,
    cause: str,
    last_alive: float,
    record_failure: bool,
    now: float | None = None,
) -> Settled | None:
    """Settle one job whose process is gone; None if another reaper already did.

    Publishes FAILED with what was done (unless the job said its last word before dying), frees its lock
    when it is certainly the dead job's, and with ``record_failure`` marks the job failed in RQ (the parent
    of a killed horse leaves that to RQ, which does it next).
    """
    if not connection.set(_settled_key(job.id, execution), 1, nx=True, ex=SETTLED_SECONDS):
        return None
    moment = time.time() if now is None else now
    events = job_events(connection, job.id, since=job.started_at)
    steps, evicted = done_so_far(events)
    cluster = _request_of(job).cluster
    targets = targets_of(connection, job)
    held = [t for t in targets if connection.exists(lock_key(t, cluster=cluster))]
    released = False
    if held and any(e.kind != EventKind.STARTED for e in events):
        freed = [
            release_dead_lock(connection, t, cluster=cluster, last_alive=last_alive, now=moment) for t in held
        ]
        released = any(freed)
        held = [t for t, done in zip(held, freed, strict=True) if not done]
    # The job's own lock is the first target; an upgrade's other candidates may be other jobs' locks.
    reason = wording.worker_died(
        cause, steps=steps, evicted=evicted, lock_free=not targets or targets[0] not in held
    )
    if record_failure:
        _record_failure(connection, job, execution=execution, reason=reason)
    if not any(event.kind.is_final for event in events):
        reporter = Reporter(connection, _request_of(job))
        reporter.emit(
            EventKind.FAILED,
            messages.failed(job_id=job.id, reason=reason),
            worker_died=True,
            done=steps,
            evicted=evicted,
            lock_released=released,
        )
    log.warning("settled job %s: %s", job.id, cause)
    return Settled(job.id, cause, tuple(steps), tuple(evicted), released)


def _record_failure(connection: Redis, job: Job, *, execution: str, reason: str) -> None:
    """What RQ records for an abandoned job: FAILED status, failed registry, a failure result."""
    queue = Queue(job.origin, connection=connection, serializer=JSONSerializer)
    ttl = job.failure_ttl or 365 * 86_400
    job.ended_at = dt.datetime.now(dt.UTC)
    with connection.pipeline() as pipe:
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        queue.failed_job_registry.add(job, ttl=ttl, exc_string=reason, pipeline=pipe)
        Result.create_failure(
            job,
            ttl,
            exc_string=reason,
            worker_name=job.worker_name or "",
            pipeline=pipe,
            execution_id=execution,
        )
        pipe.zrem(queue.started_job_registry.key, f"{job.id}:{execution}")
        pipe.execute()


def _watched(connection: Redis) -> dict[str, dict[str, float]]:
    raw: dict[bytes, bytes] = connection.hgetall(WATCHED_WORKERS)  # type: ignore[assignment]
    found = {}
    for name, value in raw.items():
        with contextlib.suppress(ValueError, TypeError):
            record = json.loads(value)
            found[name.decode()] = {"seen": float(record["seen"]), "liveness": float(record["liveness"])}
    return found


def reap(connection: Redis, queue_names: Iterable[str], *, now: float | None = None) -> list[Settled]:
    """Settle every started job of ``queue_names`` whose worker is dead; returns what was settled.

    A watched worker is dead once its liveness key expired. A job of any other worker is dead once its
    RQ heartbeat expired (what RQ's own maintenance would decide, minutes later and silently).
    """
    moment = time.time() if now is None else now
    watched = _watched(connection)
    settled: list[Settled] = []
    for name in queue_names:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        registry = queue.started_job_registry
        for job_id, execution in registry.get_job_and_execution_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            except NoSuchJobError:
                continue
            worker = job.worker_name or ""
            record = watched.get(worker)
            if record is not None:
                if connection.exists(alive_key(worker)):
                    continue
                cause = wording.worker_silent(worker, seconds=moment - record["seen"])
                last_alive = record["seen"] + record["liveness"] / 3
            else:
                expiry = connection.zscore(registry.key, f"{job_id}:{execution}")
                if expiry is None or expiry > moment:
                    continue
                cause = wording.heartbeat_expired(worker or "unknown")
                last_alive = float(expiry)
            done = settle(
                connection,
                job,
                execution=execution,
                cause=cause,
                last_alive=last_alive,
                record_failure=True,
                now=moment,
            )
            if done is not None:
                settled.append(done)
    for worker, record in watched.items():
        if moment - record["seen"] > FORGET_SECONDS and not connection.exists(alive_key(worker)):
            connection.hdel(WATCHED_WORKERS, worker)
    return settled
