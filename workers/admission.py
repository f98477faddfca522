"""The job class of every chatops worker: a job runs only once admitted (see :mod:`shared.job_signing`).

RQ resolves a job's function by importing whatever dotted path the job names, and calls its callbacks
and webhooks the same way. :class:`AdmittedJob` checks the job before any of that: a job that is not
one of ours, not signed by the bot, changed since, replayed, or gated and never approved fails with the
reason, and nothing of it is imported or run (its callbacks included). RQ records the failure as for
any failed job; the worker logs it and counts it (``chatops_jobs_refused_total``).

Build the class with :func:`admitted_job_class` and give it to the worker (``job_class=``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rq.job import Job, JobStatus

from shared.job_signing import (
    SIGNATURE_MAX_AGE_SECONDS,
    Candidate,
    JobSigner,
    SignedJob,
    admitted_key,
    approval_of,
    approval_record_key,
    refusal,
)
from shared.messages import admission as messages
from workers import observing

log = logging.getLogger("chatops.admission")


class JobRefused(Exception):
    """A job the worker would not run; the message says why."""


class AdmittedJob(Job):
    """An RQ job that refuses to run unless admitted; subclassed with a signer by :func:`admitted_job_class`."""

    signer: ClassVar[JobSigner | None] = None
    clock: ClassVar[Callable[[], float]] = staticmethod(time.time)

    def admission_refusal(self) -> str | None:
        """Why this job must not run, or None (then it is claimed, so it never runs a second time)."""
        signer = type(self).signer
        if signer is None:
            return messages.bad_signature()
        kwargs: Mapping[str, Any] = self.kwargs if isinstance(self.kwargs, dict) else {}
        candidate = Candidate(
            job=SignedJob(
                job_id=self.id,
                queue=self.origin,
                function=self.func_name or "",
                args=tuple(self.args or ()),
                kwargs=kwargs,
            ),
            meta=self.meta if isinstance(self.meta, dict) else {},
            has_instance=self.instance is not None,
            callbacks=[
                name
                for name in (
                    self._success_callback_name,
                    self._failure_callback_name,
                    self._stopped_callback_name,
                )
                if name
            ],
        )
        approval_id = approval_of(kwargs)
        record = self._approval_record(approval_id) if approval_id else None
        reason = refusal(candidate, signer=signer, now=type(self).clock(), approval_record=record)
        if reason is not None:
            return reason
        if not self.connection.set(admitted_key(self.id), 1, nx=True, ex=2 * SIGNATURE_MAX_AGE_SECONDS):
            return messages.replayed()
        return None

    def _approval_record(self, approval_id: str) -> Mapping[str, Any] | None:
        raw = self.connection.get(approval_record_key(approval_id))
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        return record if isinstance(record, dict) else None

    def perform(self) -> Any:
        """Run the job's function if the job is admitted; otherwise fail with the reason, running nothing."""
        reason = self.admission_refusal()
        if reason is not None:
            self._success_callback_name = self._failure_callback_name = self._stopped_callback_name = None
            log.warning("job %s %s", self.id, reason, extra={"job_id": self.id, "function": self.func_name})
            observing.current().job_refused()
            raise JobRefused(reason)
        return super().perform()

    def execute_success_callback(self, *args: Any, **kwargs: Any) -> None:
        """Our jobs have no callbacks: none is ever imported or called."""

    def execute_failure_callback(self, *args: Any, **kwargs: Any) -> None:
        """See :meth:`execute_success_callback`."""

    def execute_stopped_callback(self, *args: Any, **kwargs: Any) -> None:
        """See :meth:`execute_success_callback`."""

    def send_webhooks(self, status: str | JobStatus, *, exc_string: str | None = None) -> None:
        """Our jobs have no webhooks: a URL someone wrote into a job is never called."""


def admitted_job_class(key: bytes, *, clock: Callable[[], float] = time.time) -> type[AdmittedJob]:
    """The job class of a worker checking jobs against ``key`` (the bot's ``CHATOPS_JOB_KEY``)."""
    return type(
        "KeyedAdmittedJob",
        (AdmittedJob,),
        {"signer": JobSigner(key), "clock": staticmethod(clock), "__module__": __name__},
    )
