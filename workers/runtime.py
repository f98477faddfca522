"""The envelope around every job function: start and end events, error translation, logging.

Job functions are plain module-level functions decorated with :func:`job`. The decorator builds the
:class:`~workers.report.Reporter`, announces the start, and turns the outcome into a final event:
succeeded, failed (a :class:`~workers.errors.JobError`, whose message people read as is), cancelled,
or crashed (anything else: the message stays generic and the traceback goes to the log). The
exception is re-raised so RQ records the job as failed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from rq import get_current_job

from bot.core.jobevents import EventKind, RequestContext
from bot.core.messages import jobs as messages
from workers.errors import Cancelled, JobError
from workers.report import Reporter

log = logging.getLogger("chatops.workers")


def reporter_for(request: Mapping[str, Any]) -> Reporter:
    """The reporter of the running RQ job for ``request``."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("reporter_for() is only available inside an RQ job")
    return Reporter(job.connection, RequestContext.from_json(request))


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
        def run(*, request: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
            reporter = reporter_for(request)
            job_id = reporter.request.job_id
            reporter.emit(
                EventKind.STARTED, messages.started(job_id=job_id, description=description(**kwargs))
            )
            try:
                result: dict[str, Any] = fn(reporter=reporter, **kwargs)
            except Cancelled as error:
                reporter.emit(EventKind.CANCELLED, messages.cancelled(job_id=job_id, detail=str(error)))
                raise
            except JobError as error:
                reporter.emit(EventKind.FAILED, messages.failed(job_id=job_id, reason=str(error)))
                raise
            except Exception:
                log.exception("job %s crashed", job_id, extra={"job_id": job_id})
                reporter.emit(EventKind.FAILED, messages.crashed(job_id=job_id))
                raise
            reporter.emit(EventKind.SUCCEEDED, messages.succeeded(job_id=job_id), **result)
            return result

        return run

    return decorate
