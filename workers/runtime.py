"""The envelope around every job function: start and end events, error translation, logging.

Job functions are plain module-level functions decorated with :func:`job`. The decorator builds the
:class:`~workers.report.Reporter`, announces the start, and turns the outcome into a final event:
succeeded, failed (a :class:`~workers.errors.JobError`, whose message people read as is), cancelled,
or crashed (anything else: the message stays generic and the traceback goes to the log). The
exception is re-raised so RQ records the job as failed. Each job's end and duration are reported
to :func:`workers.observing.current` (counted when the worker serves metrics).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from shared.identities import KubeIdentity
from shared.job_signing import approval_record_key
from shared.jobevents import EventKind, RequestContext
from shared.messages import access as access_messages
from shared.messages import jobs as messages
from shared.messages import windows as window_messages
from shared.schedules import Schedule
from shared.windows import local_time, next_opening
from workers import access, clock, continuation, impersonation, observing, windowing
from workers.errors import Cancelled, JobError, StalePlan
from workers.observing import JobOutcome
from workers.report import CRASHED_DETAIL, Reporter
from workers.windowing import Voided, WindowEnded

log = logging.getLogger("chatops.workers")


PLAN_WAIT_SECONDS = 120.0
"""How long an approved job waits for its plan job to finish (it normally has, long before)."""


def reporter_for(request: Mapping[str, Any], *, approval: Mapping[str, Any] | None = None) -> Reporter:
    """The reporter of the running RQ job for ``request``, knowing the approved plan if any."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("reporter_for() is only available inside an RQ job")
    context = RequestContext.from_json(request)
    if approval is None:
        return Reporter(job.connection, context)
    versions = approved_witnesses(job.connection, plan_job=str(approval.get("plan_job", "")))
    return Reporter(job.connection, context, approved_witnesses=versions)


def acting_identity(
    act_as: Mapping[str, Any] | None, *, job_id: str, approval: Mapping[str, Any] | None, connection: Redis
) -> KubeIdentity | None:
    """Who the job acts as on the cluster (None: the worker itself), with why in its extras: the job,
    and for an approved job the approval and the people whose approvals counted (from its record)."""
    if act_as is None:
        return None
    identity = KubeIdentity.from_json(act_as).with_extra(job_id=job_id)
    if approval is None:
        return identity
    approval_id = str(approval.get("approval_id", ""))
    return identity.with_extra(approval_id=approval_id, approvers=approvers_of(connection, approval_id))


def approvers_of(connection: Redis, approval_id: str) -> list[str]:
    """Who approved ``approval_id``, in the order they answered (none when its record is gone)."""
    raw = connection.get(approval_record_key(approval_id))
    try:
        record = json.loads(raw) if raw else {}
    except ValueError:
        record = {}
    votes = record.get("votes") if isinstance(record, dict) else None
    return [str(vote.get("user", "")) for vote in votes or () if isinstance(vote, dict)]


def approved_witnesses(connection: Redis, *, plan_job: str) -> dict[str, str]:
    """The resourceVersions recorded by the plan job an approval was given for.

    No plan, no run: raises :class:`StalePlan` when that plan is gone, or did not finish (it failed,
    was cancelled or stopped, or is still not done after :data:`PLAN_WAIT_SECONDS`).
    """
    deadline = time.monotonic() + PLAN_WAIT_SECONDS
    while True:
        try:
            plan_job_record = Job.fetch(plan_job, connection=connection, serializer=JSONSerializer)
        except NoSuchJobError:
            raise StalePlan(messages.approved_plan_missing(plan_job=plan_job)) from None
        status = plan_job_record.get_status(refresh=True)
        if status == JobStatus.FINISHED:
            result = plan_job_record.return_value() or {}
            plan = result.get("plan") or {} if isinstance(result, dict) else {}
            return {str(k): str(v) for k, v in (plan.get("witnesses") or {}).items()}
        ended = status in {JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}
        if ended or time.monotonic() > deadline:
            state = str(status.value if isinstance(status, JobStatus) else status) if ended else "timed out"
            raise StalePlan(messages.approved_plan_unfinished(plan_job=plan_job, status=state))
        time.sleep(0.2)


def _connection() -> Redis:
    job = get_current_job()
    if job is None:
        raise RuntimeError("only available inside an RQ job")
    return job.connection


JobFunction = Callable[..., dict[str, Any]]
"""A job function: JSON keyword arguments in, a JSON summary out."""


def job(description: Callable[..., str]) -> Callable[[JobFunction], JobFunction]:
    """Wrap a job function ``fn(*, reporter, **kwargs) -> result`` for RQ.

    ``description(**kwargs)`` says in a few words what the job does (for the start event). The
    wrapped function is called by RQ with the JSON keyword arguments the bot sent, ``request``
    included, and receives a ``reporter`` instead of ``request``.
    """

    def decorate(fn: JobFunction) -> JobFunction:
        @functools.wraps(fn)
        def run(
            *,
            request: Mapping[str, Any],
            approval: Mapping[str, Any] | None = None,
            act_as: Mapping[str, Any] | None = None,
            schedule: Mapping[str, Any] | None = None,
            resumes: str | None = None,
            **kwargs: Any,
        ) -> dict[str, Any]:
            job_id = str(request.get("job_id", ""))
            deferred = Schedule.from_json(schedule) if schedule is not None else None
            identity = acting_identity(act_as, job_id=job_id, approval=approval, connection=_connection())
            try:
                reporter = reporter_for(request, approval=approval)
            except StalePlan as error:
                Reporter(_connection(), RequestContext.from_json(request)).emit(
                    EventKind.FAILED, messages.failed(job_id=job_id, reason=str(error))
                )
                raise
            reporter.schedule = deferred
            try:
                windowing.check_at_start(
                    deferred, job_id=job_id, cluster=reporter.request.cluster, connection=_connection()
                )
            except Voided as error:
                reporter.emit(EventKind.FAILED, str(error), voided=True)
                raise
            what = description(**kwargs)
            log.info(
                "job %s started: %s",
                job_id,
                what,
                extra={"job_id": job_id, "cluster": reporter.request.cluster, "user": reporter.request.user},
            )
            started = messages.started(job_id=job_id, description=what)
            if resumes:
                started = f"{started} {window_messages.resumes(job_id=resumes)}"
            resumed = {"resumes": resumes} if resumes else {}
            if identity is None:
                reporter.emit(EventKind.STARTED, started, description=what, **resumed)
            else:
                as_whom = access_messages.acting_as(user=identity.user, groups=identity.groups)
                reporter.emit(
                    EventKind.STARTED,
                    f"{started} {as_whom}",
                    description=what,
                    acting_as=identity.to_json(),
                    **resumed,
                )
            try:
                with impersonation.acting_as(identity):
                    if identity is not None:
                        access.check(
                            access.operation_of(fn.__name__, kwargs), namespace=kwargs.get("namespace")
                        )
                    result: dict[str, Any] = fn(reporter=reporter, **kwargs)
            except Cancelled as error:
                reporter.emit(EventKind.CANCELLED, messages.cancelled(job_id=job_id, detail=str(error)))
                raise
            except WindowEnded as stop:
                assert deferred is not None and deferred.window is not None
                opening = next_opening(deferred.window, clock.now()).start
                arguments = {**kwargs, "act_as": act_as} if act_as is not None else dict(kwargs)
                rest = continuation.schedule_rest(
                    kwargs=arguments, request=request, schedule=deferred, starts_at=opening
                )
                text = window_messages.window_ended(
                    job_id=job_id,
                    window=deferred.window.name,
                    done=stop.done,
                    left=stop.left,
                    resumes=local_time(deferred.window, opening),
                    continuation=rest,
                )
                reporter.emit(EventKind.CANCELLED, text, paused=True, continuation=rest, resumes_at=opening)
                raise
            except StalePlan as error:
                if deferred is None or not deferred.waits:
                    reporter.emit(EventKind.FAILED, messages.failed(job_id=job_id, reason=str(error)))
                else:
                    text = window_messages.target_changed_at_start(job_id=job_id, detail=str(error))
                    reporter.emit(EventKind.FAILED, text, voided=True)
                raise
            except JobError as error:
                reporter.emit(EventKind.FAILED, messages.failed(job_id=job_id, reason=str(error)))
                raise
            except Exception:
                log.exception(
                    "job %s crashed",
                    job_id,
                    extra={
                        "job_id": job_id,
                        "cluster": reporter.request.cluster,
                        "user": reporter.request.user,
                    },
                )
                reporter.emit(EventKind.FAILED, messages.crashed(job_id=job_id), **{CRASHED_DETAIL: True})
                raise
            if kwargs.get("dry_run"):
                reporter.emit(EventKind.PLANNED, messages.planned(job_id=job_id), **result)
            else:
                reporter.emit(EventKind.SUCCEEDED, messages.succeeded(job_id=job_id), **result)
            return result

        @functools.wraps(fn)
        def observed(**kwargs: Any) -> dict[str, Any]:
            started = time.monotonic()
            outcome = JobOutcome.CRASHED
            try:
                result = run(**kwargs)
            except Cancelled:
                outcome = JobOutcome.CANCELLED
                raise
            except JobError:
                outcome = JobOutcome.FAILED
                raise
            else:
                outcome = JobOutcome.SUCCEEDED
                return result
            finally:
                elapsed = time.monotonic() - started
                observing.current().job_finished(operation=fn.__name__, outcome=outcome, seconds=elapsed)

        return observed

    return decorate
