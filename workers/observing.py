"""Where the workers report what their jobs did, for metrics: a port with a silent default.

The job envelope (:mod:`workers.runtime`) reports each job's end and the Kubernetes calls
(:mod:`workers.kube`) report the API's errors to :func:`current`. Nothing is counted until
``chatops worker --metrics-port`` installs :class:`workers.metrics.PrometheusJobObserver` (before
it forks work horses, which inherit it); test runners leave the silent one in place.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class JobOutcome(enum.StrEnum):
    """How a job ended, as counted."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """A :class:`~workers.errors.JobError`: the job said why."""
    CANCELLED = "cancelled"
    CRASHED = "crashed"
    """Anything else escaped the job (a bug or an unexpected answer)."""


class JobObserver(Protocol):
    """Receives what jobs did."""

    def job_finished(self, *, operation: str, outcome: JobOutcome, seconds: float) -> None:
        """A job of ``operation`` (its function's name) ended after ``seconds``."""

    def api_error(self, *, status: str) -> None:
        """A Kubernetes API call failed with HTTP ``status`` (``connection`` when no answer came)."""

    def job_refused(self) -> None:
        """A job found on the queue was refused before anything of it ran (:mod:`workers.admission`)."""


class SilentObserver:
    """Drops every report (the default)."""

    def job_finished(self, *, operation: str, outcome: JobOutcome, seconds: float) -> None:
        """Drop the report."""

    def api_error(self, *, status: str) -> None:
        """Drop the report."""

    def job_refused(self) -> None:
        """Drop the report."""


@dataclasses.dataclass
class _Installed:
    observer: JobObserver = dataclasses.field(default_factory=SilentObserver)


_installed = _Installed()


def install(observer: JobObserver) -> None:
    """Send this process's (and its future work horses') reports to ``observer``."""
    _installed.observer = observer


def current() -> JobObserver:
    """The observer reports go to."""
    return _installed.observer
