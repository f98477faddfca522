"""Putting jobs on RQ queues, one queue per cluster, and reading back what happened to them.

The only module of the bot that talks to RQ. Jobs are enqueued by dotted path with the JSON
serializer (never pickle), with ``unique=True`` and an id derived from the chat message, so a
message delivered twice enqueues once for as long as the job is remembered (a day).

Every job is signed with the job key (:mod:`shared.job_signing`), and a parked job gets the signed
release when its approval decides it: workers run nothing else. A dispatcher without a signer (tests
with a plain RQ worker) enqueues unsigned jobs, which a ``chatops worker`` refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from typing import Any, cast

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from shared.job_signing import JobSigner, SignedJob, approval_record_key
from shared.jobs import (
    DEFAULT_TIMEOUT_SECONDS,
    RECHECK_INFIX,
    REMEMBER_SECONDS,
    JobOrigin,
    JobSpec,
    JobSummary,
    Submission,
    cancel_flag_key,
    command_for_function,
    job_state,
    outcome_key,
    queue_name,
)
from shared.schedules import Schedule, schedule_of


class RQDispatcher:
    """Enqueues :class:`JobSpec` values and answers questions about jobs, for one Redis."""

    def __init__(
        self,
        connection: Redis,
        *,
        signer: JobSigner | None = None,
        clock: Callable[[], float] = time.time,
        queued_ttl: int | None = None,
        result_ttl: int = REMEMBER_SECONDS,
    ) -> None:
        """``queued_ttl``: a queued job no worker started within this many seconds is dropped (None:
        never); ``result_ttl``: how long finished and failed jobs are kept (their results, and so
        their de-duplication and what ``jobs`` lists)."""
        self._connection = connection
        self._signer = signer
        self._clock = clock
        self._queued_ttl = queued_ttl
        self._result_ttl = result_ttl

    def _signed(self, spec: JobSpec, meta: dict[str, Any]) -> dict[str, Any]:
        """``meta`` with the signature of ``spec`` added (unchanged without a signer)."""
        if self._signer is None:
            return meta
        job = SignedJob(
            job_id=spec.job_id, queue=spec.queue, function=spec.function, args=(), kwargs=dict(spec.kwargs)
        )
        return {**meta, **self._signer.sign(job, now=self._clock())}

    def queue(self, cluster: str) -> Queue:
        """The queue of ``cluster``."""
        return Queue(queue_name(cluster), connection=self._connection, serializer=JSONSerializer)

    def submit(self, spec: JobSpec) -> Submission:
        """Enqueue ``spec`` unless a job with its id already exists; a deferred one goes to RQ's scheduler."""
        queue = self.queue(spec.cluster)
        schedule = schedule_of(spec.kwargs)
        if schedule is not None and schedule.start_at > self._clock():
            return self._schedule_new(spec, schedule=schedule)
        try:
            job = queue.enqueue_call(
                spec.function,
                kwargs=dict(spec.kwargs),
                job_id=spec.job_id,
                unique=True,
                description=spec.description,
                timeout=spec.timeout_seconds,
                ttl=self._queued_ttl,
                result_ttl=self._result_ttl,
                failure_ttl=self._result_ttl,
                meta=self._signed(spec, {"user": spec.kwargs.get("request", {}).get("user", "")}),
            )
        except DuplicateJobError:
            return Submission(job_id=spec.job_id, duplicate=True)
        return Submission(job_id=job.id, duplicate=False, position=_position(job))

    def _schedule_new(self, spec: JobSpec, *, schedule: Schedule) -> Submission:
        """Hand ``spec`` to RQ's scheduler (``enqueue_at``) for its start, once by its id."""
        queue = self.queue(spec.cluster)
        job = queue.create_job(
            spec.function,
            kwargs=dict(spec.kwargs),
            job_id=spec.job_id,
            description=spec.description,
            timeout=spec.timeout_seconds,
            ttl=None,
            result_ttl=self._result_ttl,
            failure_ttl=self._result_ttl,
            meta=self._signed(spec, {"user": spec.kwargs.get("request", {}).get("user", "")}),
        )
        try:
            queue.schedule_job(job, _utc(schedule.start_at), unique=True)
        except DuplicateJobError:
            return Submission(job_id=spec.job_id, duplicate=True)
        return Submission(job_id=spec.job_id, duplicate=False, schedule=schedule)

    def park(self, spec: JobSpec) -> Submission:
        """Keep ``spec`` as a job that is not queued, until its approval releases or discards it."""
        queue = self.queue(spec.cluster)
        key = parked_key(spec.cluster)
        if not self._connection.zadd(key, {spec.job_id: time.time()}, nx=True):
            return Submission(job_id=spec.job_id, duplicate=True)
        job = queue.create_job(
            spec.function,
            kwargs=dict(spec.kwargs),
            job_id=spec.job_id,
            description=spec.description,
            timeout=spec.timeout_seconds,
            result_ttl=self._result_ttl,
            failure_ttl=self._result_ttl,
            ttl=None,
            meta=self._signed(
                spec, {"user": spec.kwargs.get("request", {}).get("user", ""), "cluster": spec.cluster}
            ),
            status=JobStatus.CREATED,
        )
        job.save()
        self._connection.expire(job.key, REMEMBER_SECONDS)
        return Submission(job_id=spec.job_id, duplicate=False)

    def release(self, job_id: str) -> Submission | None:
        """Queue a parked job; None when no parked job has that id (never parked, or already released)."""
        job = self._fetch(job_id)
        if job is None:
            return None
        cluster = str(job.meta.get("cluster", ""))
        if not self._connection.zrem(parked_key(cluster), job_id):
            return None
        approval = (job.kwargs or {}).get("approval") if isinstance(job.kwargs, dict) else None
        if self._signer is not None and isinstance(approval, dict):
            approval_id = str(approval.get("approval_id", ""))
            job.meta.update(self._signer.release(job_id=job_id, approval_id=approval_id, now=self._clock()))
            job.save_meta()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        self._connection.persist(job.key)
        schedule = schedule_of(job.kwargs if isinstance(job.kwargs, dict) else {})
        now = self._clock()
        start_at = schedule.when_released(now) if schedule is not None else now
        if start_at > now:
            job.ttl = None
            self.queue(cluster).schedule_job(job, _utc(start_at))
            if isinstance(approval, dict):  # the worker reads the approval when the job starts
                record = approval_record_key(str(approval.get("approval_id", "")))
                self._connection.expire(record, int(start_at - now) + REMEMBER_SECONDS)
            assert schedule is not None
            starts = dataclasses.replace(schedule, start_at=start_at)
            return Submission(job_id=job_id, duplicate=False, schedule=starts)
        job.ttl = self._queued_ttl
        queued = self.queue(cluster).enqueue_job(job)
        return Submission(job_id=job_id, duplicate=False, position=_position(queued))

    def parked(self, job_id: str) -> JobSpec | None:
        """The job parked under ``job_id``, as it was parked; None once released or dropped."""
        job = self._fetch(job_id)
        if job is None or not self._connection.zscore(parked_key(str(job.meta.get("cluster", ""))), job_id):
            return None
        return JobSpec(
            job_id=job_id,
            function=str(job.func_name),
            cluster=str(job.meta.get("cluster", "")),
            description=str(job.description or ""),
            kwargs=dict(job.kwargs or {}),
            timeout_seconds=int(job.timeout or DEFAULT_TIMEOUT_SECONDS),
        )

    def discard(self, job_id: str) -> None:
        """Drop a parked job so it never runs; it stays listed as cancelled for the day."""
        job = self._fetch(job_id)
        if job is None:
            return
        cluster = str(job.meta.get("cluster", ""))
        if self._connection.zrem(parked_key(cluster), job_id):
            job.cancel()

    def _fetch(self, job_id: str) -> Job | None:
        try:
            return Job.fetch(job_id, connection=self._connection, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job that has not started; return its status before, or None if unknown.

        Running jobs are not killed here: they check for cancellation between steps (a SIGKILL in
        the middle of a drain would leave it half done).
        """
        try:
            job = Job.fetch(job_id, connection=self._connection, serializer=JSONSerializer)
        except NoSuchJobError:
            return None
        status = job.get_status(refresh=True)
        if status in {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}:
            try:
                job.cancel()
            except InvalidJobOperation:
                return str(job.get_status(refresh=True))
            return str(status.value if status else "unknown")
        if status == JobStatus.STARTED:
            self._connection.set(cancel_flag_key(job_id), 1, ex=REMEMBER_SECONDS)
        return str(status.value if status else "unknown")

    def origin(self, job_id: str) -> JobOrigin | None:
        """Who asked for ``job_id``, on which cluster, to do what (from its request); None if unknown."""
        job = self._fetch(job_id)
        if job is None:
            return None
        kwargs = job.kwargs if isinstance(job.kwargs, dict) else {}
        stored = kwargs.get("request")
        request: dict[str, Any] = stored if isinstance(stored, dict) else {}
        cluster = str(request.get("cluster") or job.meta.get("cluster") or "")
        if not cluster and job.origin.startswith(queue_name("")):
            cluster = job.origin.removeprefix(queue_name(""))
        namespace = kwargs.get("namespace")
        return JobOrigin(
            job_id=job_id,
            requester=str(request.get("user") or job.meta.get("user") or ""),
            cluster=cluster,
            command=command_for_function(job.func_name or ""),
            namespace=namespace if isinstance(namespace, str) else None,
        )

    def recent(self, cluster: str, *, limit: int = 10) -> list[JobSummary]:
        """The latest jobs of ``cluster``: running, queued, then finished and failed, newest first."""
        queue = self.queue(cluster)
        ids: list[str] = [
            member.decode() if isinstance(member, bytes) else str(member)
            for member in cast("list[bytes]", self._connection.zrevrange(parked_key(cluster), 0, -1))
        ]
        ids += queue.started_job_registry.get_job_ids(cleanup=False)
        ids += queue.get_job_ids()
        scheduled = queue.scheduled_job_registry
        ids += scheduled.get_job_ids(cleanup=False)
        ids += list(reversed(queue.finished_job_registry.get_job_ids(cleanup=False)))
        ids += list(reversed(queue.failed_job_registry.get_job_ids(cleanup=False)))
        ids += list(reversed(queue.canceled_job_registry.get_job_ids(cleanup=False)))
        # A job moving between registries may be read in two; a pending request's re-check is the bot's
        # own bookkeeping, not a job anyone asked for (bot.core.rechecks).
        ids = [job_id for job_id in dict.fromkeys(ids) if RECHECK_INFIX not in job_id]
        summaries: list[JobSummary] = []
        jobs = [
            job for job in Job.fetch_many(ids, connection=self._connection, serializer=JSONSerializer) if job
        ]
        outcomes = cast(
            "list[bytes | None]", self._connection.mget([outcome_key(job.id) for job in jobs]) if jobs else []
        )
        for job, outcome in zip(jobs, outcomes, strict=True):
            status = job.get_status(refresh=False)
            summaries.append(
                JobSummary(
                    job_id=job.id,
                    description=job.description or job.func_name or job.id,
                    status=job_state(
                        status.value if status else None, outcome=outcome.decode() if outcome else None
                    ),
                    enqueued_at=job.enqueued_at or job.created_at,
                    user=str(job.meta.get("user", "")),
                    starts_at=_starts_at(job),
                )
            )
        summaries.sort(key=lambda s: s.enqueued_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
        return summaries[:limit]


def _position(job: Job) -> int | None:
    """Where ``job`` waits in its queue; None once a worker took it (it may do so before we ask).

    RQ answers from ``LPOS`` or, on servers without it (fakeredis), from the queue's list, which
    raises ``ValueError`` for a job already taken.
    """
    try:
        return job.get_position()
    except ValueError:
        return None


def _starts_at(job: Job) -> float | None:
    """When a job waiting for RQ's scheduler starts (from its schedule), or None for any other job."""
    if job.get_status(refresh=False) != JobStatus.SCHEDULED:
        return None
    schedule = schedule_of(job.kwargs if isinstance(job.kwargs, dict) else {})
    return schedule.start_at if schedule is not None else None


def _utc(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.UTC)


def parked_key(cluster: str) -> str:
    """The sorted set of a cluster's jobs awaiting approval (scored by when they were parked)."""
    return f"chatops:parked:{cluster}"
