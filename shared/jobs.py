"""From an allowed command to the job that carries it out: ids, function paths and JSON arguments.

Pure: the dispatcher (``bot.dispatch``) puts a :class:`JobSpec` on the cluster's queue by dotted path,
so the bot never imports the Kubernetes client. Job ids are derived from the chat message that asked,
so the same message delivered twice names the same job and is enqueued once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from typing import Any

from shared.jobevents import RequestContext
from shared.schedules import Schedule
from shared.vocabulary import COMMAND_NAMES

JOBS_MODULE = "workers.jobs"
"""Where every job function lives; a command ``upgrade plan`` runs ``workers.jobs.upgrade_plan``."""

DEFAULT_TIMEOUT_SECONDS = 1800
"""How long a job may run before the worker stops it (drains of big nodes take minutes)."""

REMEMBER_SECONDS = 86_400
"""How long finished and failed jobs (and so their de-duplication and outcome) are kept."""

LONG_JOB_TIMEOUTS = {"upgrade nodes": 12 * 3600, "upgrade control-plane": 2 * 3600}
"""Jobs that walk a whole cluster: each node's hook alone may take the default. A worker stopped
mid-way (deploy, SIGTERM) leaves checkpoints, and the same command resumes where it stopped."""


@dataclasses.dataclass(frozen=True)
class Submission:
    """The outcome of submitting a job."""

    job_id: str
    duplicate: bool
    """True when the same request was already submitted (a redelivery); nothing new was queued."""
    position: int | None = None
    """Jobs ahead of this one in its queue, when known."""
    schedule: Schedule | None = None
    """Set when the job waits for RQ's scheduler: when it starts, and in which window."""


class JobState(enum.StrEnum):
    """Where a job is, as ``jobs`` says it: the words people read, not RQ's."""

    QUEUED = "queued"
    AWAITING_APPROVAL = "waiting for approval"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PLANNED = "planned"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CRASHED = "crashed"
    UNKNOWN = "unknown"


_STATE_OF_RQ_STATUS = {
    "created": JobState.AWAITING_APPROVAL,
    "queued": JobState.QUEUED,
    "deferred": JobState.QUEUED,
    "scheduled": JobState.QUEUED,
    "started": JobState.RUNNING,
    "finished": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.CANCELLED,
    "stopped": JobState.CANCELLED,
}


def job_state(rq_status: str | None, *, outcome: str | None) -> JobState:
    """A job's state from RQ's status and the outcome its last event recorded (:func:`outcome_key`).

    The outcome wins: it is written with the final event the thread shows, while RQ's own bookkeeping
    (finished, failed) comes a moment later, and RQ calls a cancelled or crashed job just "failed".
    """
    if outcome:
        try:
            return JobState(outcome)
        except ValueError:
            pass
    return _STATE_OF_RQ_STATUS.get(rq_status or "", JobState.UNKNOWN)


def outcome_key(job_id: str) -> str:
    """The Redis key holding a finished job's :class:`JobState`, written with its final event."""
    return f"chatops:outcome:{job_id}"


@dataclasses.dataclass(frozen=True)
class JobSummary:
    """A job as ``jobs`` lists it."""

    job_id: str
    description: str
    status: JobState
    enqueued_at: dt.datetime | None
    user: str
    starts_at: float | None = None
    """When a deferred job starts (it waits for RQ's scheduler); None for any other job."""


@dataclasses.dataclass(frozen=True)
class JobOrigin:
    """Who asked for a job and what it does: what ``cancel`` needs to decide who may stop it."""

    job_id: str
    requester: str
    """The user id of the person who asked (``schedule:NAME`` for a scheduled job)."""
    cluster: str
    """The cluster the job acts on (its queue's)."""
    command: str | None
    """The policy's name of what it runs (``drain``), or None for a function no command runs."""
    namespace: str | None
    """The namespace of a deployment command; None for cluster-scoped work."""


def command_for_function(path: str) -> str | None:
    """The command whose job function is ``path`` (the inverse of :func:`function_path`), or None."""
    return next((name for name in COMMAND_NAMES if function_path(name) == path), None)


def job_id_for(*, channel: str, message_ts: str) -> str:
    """The id of the job a chat message asks for: stable across deliveries, short enough to type.

    RQ accepts ``[A-Za-z0-9_-]`` only, so the channel and timestamp are hashed rather than joined.
    """
    digest = hashlib.sha256(f"{channel}\x00{message_ts}".encode()).hexdigest()
    return f"job-{digest[:10]}"


def queue_name(cluster: str) -> str:
    """The RQ queue of a cluster: one per cluster, so a worker can run inside each cluster."""
    return f"chatops-{cluster}"


def cancel_flag_key(job_id: str) -> str:
    """The Redis key a running job checks between steps to learn that it was cancelled."""
    return f"chatops:cancel:{job_id}"


def plan_job_id(job_id: str) -> str:
    """The id of the dry-run job that shows the plan an approval is asked for."""
    return f"{job_id}-plan"


RECHECK_INFIX = "-recheck-"
"""What the id of a pending request's re-check job holds between the gated job's id and its round."""


def recheck_job_id(job_id: str, round_: int) -> str:
    """The id of round ``round_`` of re-running, as a plan, the job a pending request waits to release.

    One id per round, so several bot processes ticking the same round queue it once.
    """
    return f"{job_id}{RECHECK_INFIX}{round_}"


def function_path(command_name: str) -> str:
    """The dotted path of the job function for a policy command name."""
    return f"{JOBS_MODULE}.{command_name.replace(' ', '_').replace('-', '_')}"


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """Everything needed to enqueue one job; JSON-safe throughout."""

    job_id: str
    function: str
    cluster: str
    description: str
    kwargs: Mapping[str, Any]
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS

    @property
    def queue(self) -> str:
        """The queue this job goes to."""
        return queue_name(self.cluster)


def json_safe(value: Any) -> Any:
    """Turn command field values (tuples, enums, nested dataclasses) into JSON values."""
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: json_safe(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, tuple | list | frozenset | set):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} is not JSON-safe")


def job_spec(
    *,
    command_name: str,
    arguments: Mapping[str, Any],
    request: RequestContext,
    description: str,
) -> JobSpec:
    """Build the job for an allowed command.

    ``arguments`` are the command's own fields (already resolved: namespace filled in from the
    policy's default). The request context travels as the ``request`` keyword.
    """
    kwargs = {key: json_safe(value) for key, value in arguments.items()}
    kwargs["request"] = request.to_json()
    return JobSpec(
        job_id=request.job_id,
        function=function_path(command_name),
        cluster=request.cluster,
        description=description,
        kwargs=kwargs,
        timeout_seconds=LONG_JOB_TIMEOUTS.get(command_name, DEFAULT_TIMEOUT_SECONDS),
    )
