"""The rest of a job over many nodes, left for its window's next opening when the window closes.

At the window's end a job such as ``upgrade nodes`` starts no further node (:mod:`workers.windowing`):
it stops between two nodes, and its continuation is handed to RQ's scheduler for the next opening.
The continuation is the same command again (same arguments, a new job id ``…-w1``, ``-w2``…), as a
re-run of ``upgrade nodes`` resumes from the nodes' checkpoints and skips the nodes already done. It
carries no approval of its own: the approval covered the whole run, and the plan witnesses no longer
hold (the job itself moved them). It is signed with the worker's own job key, as the worker's
scheduled backups are, so other workers admit it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from typing import Any

from rq import Queue, get_current_job
from rq.job import Job
from rq.serializers import JSONSerializer

from shared.job_signing import SignedJob
from shared.schedules import SCHEDULE_ARGUMENT, Schedule
from workers import clock
from workers.admission import AdmittedJob

RESUMES_ARGUMENT = "resumes"
"""The keyword argument of a continuation: the job whose rest it does."""

_SUFFIX = re.compile(r"-w(\d+)$")


def continuation_id(job_id: str) -> str:
    """``job-x`` → ``job-x-w1``, ``job-x-w1`` → ``job-x-w2``."""
    match = _SUFFIX.search(job_id)
    if match is None:
        return f"{job_id}-w1"
    return f"{job_id[: match.start()]}-w{int(match[1]) + 1}"


def schedule_rest(
    *, kwargs: Mapping[str, Any], request: Mapping[str, Any], schedule: Schedule, starts_at: float
) -> str:
    """Hand the rest of the running job to RQ's scheduler for ``starts_at``; the continuation's id."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("only available inside an RQ job")
    new_id = continuation_id(str(request.get("job_id", "")))
    rest = dict(kwargs)
    rest.pop("approval", None)
    rest["request"] = {**request, "job_id": new_id}
    rest[SCHEDULE_ARGUMENT] = Schedule(
        start_at=starts_at, window=schedule.window, asked_at=clock.now()
    ).to_json()
    rest[RESUMES_ARGUMENT] = str(request.get("job_id", ""))
    queue = Queue(job.origin, connection=job.connection, serializer=JSONSerializer)
    function = job.func_name or ""
    meta: dict[str, Any] = {"user": str(request.get("user", "")), "cluster": str(request.get("cluster", ""))}
    signer = type(job).signer if isinstance(job, AdmittedJob) else None
    if signer is not None:
        signed = SignedJob(job_id=new_id, queue=job.origin, function=function, args=(), kwargs=rest)
        meta.update(signer.sign(signed, now=time.time()))
    rest_job: Job = queue.create_job(
        function,
        kwargs=rest,
        job_id=new_id,
        description=job.description,
        timeout=int(job.timeout) if job.timeout else None,
        ttl=None,
        result_ttl=job.result_ttl,
        failure_ttl=job.failure_ttl,
        meta=meta,
    )
    queue.schedule_job(rest_job, dt.datetime.fromtimestamp(starts_at, dt.UTC))
    return new_id
