"""The scheduler loop each worker runs beside its RQ loop: due scheduled backups go on the queue,
exactly once per slot however many workers run it.

Two locks make "once": a worker first claims the slot with ``SET key NX EX`` (only one claim
succeeds while the key lives), then enqueues with a job id derived from the slot and ``unique=True``,
so even a claim that expired and was taken again cannot queue a second job for the same slot. Jobs go
through the same :class:`~shared.jobs.JobSpec` shape the bot enqueues, as if ``schedule:NAME`` had
asked, so they emit the same events and land on the timeline with that actor, signed with the
worker's job key as the bot signs its jobs (or unsigned, without a signer: tests with a plain worker).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from shared.background import Loop
from shared.invocation import invocation_of
from shared.job_signing import JobSigner, SignedJob
from shared.jobevents import EventKind, RequestContext
from shared.jobs import job_spec, queue_name
from shared.messages import backups as wording
from workers.report import Reporter
from workers.schedule import ScheduleEntry, actor, load_schedule, scheduled_job_id

log = logging.getLogger("chatops.workers.scheduler")

TICK_SECONDS = 30.0
"""How often the loop looks for due slots."""

REMEMBER_SECONDS = 86_400
"""How long a scheduled job's result is kept (as for jobs the bot enqueues)."""

MIN_CLAIM_SECONDS = 3600
"""A slot's claim lives at least this long (and at least two periods)."""


def command_arguments(entry: ScheduleEntry) -> dict[str, object]:
    """The job's keyword arguments for an entry: the command's fields, and what retention needs."""
    fields = {field.name: getattr(entry.command, field.name) for field in dataclasses.fields(entry.command)}
    fields.pop("cluster", None)
    return {**fields, "schedule": entry.name, "keep": entry.keep}


class Scheduler:
    """Enqueues the due slots of one cluster's schedule entries onto its queue."""

    def __init__(
        self,
        connection: Redis,
        entries: Sequence[ScheduleEntry],
        *,
        cluster: str,
        clock: Callable[[], float] = time.time,
        tick_seconds: float = TICK_SECONDS,
        name: str = "worker",
        signer: JobSigner | None = None,
    ) -> None:
        self._connection = connection
        self._signer = signer
        self._entries = tuple(entry for entry in entries if (entry.cluster or cluster) == cluster)
        self._cluster = cluster
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._name = name
        self._loop = Loop(
            self.tick,
            name="chatops-scheduler",
            logger=log,
            failure="the scheduler tick failed",
            every=tick_seconds,
        )

    def tick(self, now: float | None = None) -> list[str]:
        """Enqueue every entry's current slot unless another worker already has; the job ids enqueued."""
        moment = self._clock() if now is None else now
        enqueued: list[str] = []
        for entry in self._entries:
            slot = entry.slot(moment)
            key = entry.slot_key(self._cluster, slot)
            claim_seconds = max(int(2 * entry.every_seconds), MIN_CLAIM_SECONDS)
            if not self._connection.set(key, self._name, nx=True, ex=claim_seconds):
                continue
            try:
                job_id = self._enqueue(entry, slot)
            except Exception:
                self._connection.delete(key)  # let the next tick (here or elsewhere) try again
                log.exception("scheduled job %s could not be enqueued", entry.name)
                continue
            if job_id is not None:
                enqueued.append(job_id)
        return enqueued

    def _enqueue(self, entry: ScheduleEntry, slot: int) -> str | None:
        request = RequestContext(
            job_id=scheduled_job_id(entry.name, slot),
            user=actor(entry.name),
            channel=entry.channel,
            thread_ts="",
            cluster=self._cluster,
            command=invocation_of(entry.command).to_json(),
        )
        spec = job_spec(
            command_name=entry.command.name,
            arguments=command_arguments(entry),
            request=request,
            description=wording.scheduled_description(entry.name, entry.text),
        )
        queue = Queue(queue_name(self._cluster), connection=self._connection, serializer=JSONSerializer)
        meta: dict[str, object] = {"user": request.user}
        if self._signer is not None:
            signed = SignedJob(spec.job_id, spec.queue, spec.function, (), dict(spec.kwargs))
            meta.update(self._signer.sign(signed, now=self._clock()))
        try:
            queue.enqueue_call(
                spec.function,
                kwargs=dict(spec.kwargs),
                job_id=spec.job_id,
                unique=True,
                description=spec.description,
                timeout=spec.timeout_seconds,
                result_ttl=REMEMBER_SECONDS,
                failure_ttl=REMEMBER_SECONDS,
                meta=meta,
            )
        except DuplicateJobError:
            return None
        Reporter(self._connection, request).emit(
            EventKind.QUEUED,
            wording.scheduled_queued(entry.name, job_id=spec.job_id),
            description=spec.description,
        )
        log.info(
            "scheduled job %s enqueued", spec.job_id, extra={"job_id": spec.job_id, "cluster": self._cluster}
        )
        return spec.job_id

    def run(self) -> None:
        """Tick until :meth:`stop`; a failing tick is logged and the loop goes on."""
        self._loop.run()

    def start(self) -> None:
        """Run the loop in a daemon thread (it dies with the worker)."""
        self._loop.start()

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self._loop.stop(timeout=None)

    @property
    def running(self) -> bool:
        """Whether the loop's thread is alive."""
        return self._loop.running


SCHEDULE_VARIABLE = "CHATOPS_SCHEDULE"
"""The environment variable naming the schedule file (unset or blank: no scheduled backups)."""


def schedule_from_environment(environ: Mapping[str, str]) -> tuple[ScheduleEntry, ...]:
    """The entries of the file ``CHATOPS_SCHEDULE`` names (none when unset); :class:`ScheduleError` if unusable."""
    path = environ.get(SCHEDULE_VARIABLE, "").strip()
    return load_schedule(Path(path)) if path else ()
