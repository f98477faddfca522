"""Which jobs a worker may run: our job functions only, as the bot signed them, approved when gated.

Whoever can write to Redis can put a job on a queue. RQ would run any importable callable it names
(``os.system`` included) with whatever arguments it carries, and would run a parked job that awaits
approval if its id were pushed onto the queue. So the worker admits a job only when all of this holds
(:func:`refusal` says which part failed):

* its function is one of the job registry (:data:`JOB_REGISTRY`: the job of a command), called with
  keyword arguments only, and it carries no callbacks, instance or webhooks for RQ to call;
* its signature (HMAC-SHA256 under the job key, ``CHATOPS_JOB_KEY``, which is never stored in Redis)
  covers its id, queue, function, arguments and the time it was signed, and is less than
  :data:`SIGNATURE_MAX_AGE_SECONDS` old;
* a gated job (one whose arguments name an ``approval``) also carries the bot's signed release, given
  when the deciding approval came, and its approval request is stored as approved, for this job;
* it has not been admitted before (a replayed job is refused).

Pure: the signature is computed over canonical JSON, and the facts read from Redis (the approval
record, the first-admission claim) are handed in by the worker (``workers.admission``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from shared.jobs import REMEMBER_SECONDS, function_path
from shared.messages import admission as messages
from shared.schedules import schedule_of
from shared.vocabulary import COMMAND_NAMES

JOB_KEY_VARIABLE = "CHATOPS_JOB_KEY"
"""The environment variable holding the job key (bot and workers share it; Redis never sees it)."""

MIN_KEY_LENGTH = 32
"""The shortest job key accepted, in characters (``openssl rand -hex 32`` gives 64)."""

JOB_REGISTRY: frozenset[str] = frozenset(function_path(name) for name in COMMAND_NAMES)
"""The dotted paths of our job functions (``workers.jobs.drain``…): the only functions a worker runs."""

SIGNATURE_MAX_AGE_SECONDS = REMEMBER_SECONDS
"""A job signed (or released) longer ago than this is refused: it is a replay of an old one."""

SIGNATURE_META = "signature"
"""The job's ``meta`` field holding the bot's signature."""

SIGNED_AT_META = "signed_at"
"""The job's ``meta`` field holding when it was signed (unix seconds)."""

RELEASE_META = "release"
"""The job's ``meta`` field holding the signed release of a gated job: ``{"at": …, "mac": …}``."""


def session_key() -> bytes:
    """A random key for one process's life: the console's, when ``CHATOPS_JOB_KEY`` is not set."""
    return secrets.token_hex(32).encode()


def job_key_problem(value: str, *, program: str) -> str | None:
    """What is wrong with ``value`` as a job key for ``program`` (``chatops worker``…), or None."""
    if not value:
        return messages.job_key_missing(program=program)
    if len(value) < MIN_KEY_LENGTH:
        return messages.job_key_too_short(length=len(value))
    return None


def approval_record_key(approval_id: str) -> str:
    """The Redis key of an approval request (written by ``bot.approval_store``, read by workers)."""
    return f"chatops:approval:{approval_id}"


def admitted_key(job_id: str) -> str:
    """The Redis key a worker claims when it admits a job, so the same job is never admitted twice."""
    return f"chatops:admitted:{job_id}"


@dataclasses.dataclass(frozen=True)
class SignedJob:
    """What a signature covers: the job as a worker will run it."""

    job_id: str
    queue: str
    function: str
    args: Sequence[Any]
    kwargs: Mapping[str, Any]

    def canonical(self, *, signed_at: float) -> bytes:
        """The bytes signed: canonical JSON of every field and the signing time."""
        payload = {
            "id": self.job_id,
            "queue": self.queue,
            "function": self.function,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "at": signed_at,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


class JobSigner:
    """Signs jobs and releases under one key; the bot signs, the workers check."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the job key must not be empty")
        self._key = key

    def _mac(self, message: bytes) -> str:
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, job: SignedJob, *, now: float) -> dict[str, Any]:
        """The ``meta`` fields that carry the signature of ``job``, signed at ``now``."""
        return {SIGNATURE_META: self._mac(job.canonical(signed_at=now)), SIGNED_AT_META: now}

    def release(self, *, job_id: str, approval_id: str, now: float) -> dict[str, Any]:
        """The ``meta`` field that releases a gated job once its approval decided it."""
        return {RELEASE_META: {"at": now, "mac": self._release_mac(job_id, approval_id, now)}}

    def _release_mac(self, job_id: str, approval_id: str, at: float) -> str:
        message = json.dumps({"release": job_id, "approval": approval_id, "at": at}, sort_keys=True)
        return self._mac(message.encode())

    def signature_holds(self, job: SignedJob, meta: Mapping[str, Any]) -> bool:
        """Whether ``meta`` carries a valid signature of ``job`` (any age)."""
        signature, at = meta.get(SIGNATURE_META), meta.get(SIGNED_AT_META)
        if not isinstance(signature, str) or not _is_number(at):
            return False
        return hmac.compare_digest(signature, self._mac(job.canonical(signed_at=float(at or 0))))

    def release_holds(self, *, job_id: str, approval_id: str, meta: Mapping[str, Any]) -> bool:
        """Whether ``meta`` carries a valid release of ``job_id`` for ``approval_id`` (any age)."""
        release = meta.get(RELEASE_META)
        if not isinstance(release, Mapping) or not _is_number(release.get("at")):
            return False
        mac = release.get("mac")
        expected = self._release_mac(job_id, approval_id, float(release["at"]))
        return isinstance(mac, str) and hmac.compare_digest(mac, expected)


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A job taken off a queue, as a worker sees it before running anything."""

    job: SignedJob
    meta: Mapping[str, Any]
    has_instance: bool = False
    callbacks: Sequence[str] = ()
    """The names of the success, failure and stopped callbacks the job asks RQ to call."""


def approval_of(kwargs: Mapping[str, Any]) -> str | None:
    """The approval request id a gated job's arguments name, or None for a job that needs none."""
    approval = kwargs.get("approval")
    if approval is None:
        return None
    if isinstance(approval, Mapping) and isinstance(approval.get("approval_id"), str):
        return str(approval["approval_id"])
    return ""


def refusal(
    candidate: Candidate,
    *,
    signer: JobSigner,
    now: float,
    approval_record: Mapping[str, Any] | None,
) -> str | None:
    """Why a worker must not run ``candidate``, or None when it may.

    ``approval_record`` is the stored approval request the job's arguments name (None when absent or
    when the job names none). The first-admission claim is the caller's last step (see the module).
    """
    job = candidate.job
    if job.function not in JOB_REGISTRY:
        return messages.not_a_job_function(function=job.function)
    if job.args or candidate.has_instance or candidate.callbacks:
        return messages.unexpected_call_shape()
    if not signer.signature_holds(job, candidate.meta):
        return messages.bad_signature()
    # A deferred job waits for its start by design: its age counts from then (a signed argument).
    schedule = schedule_of(job.kwargs)
    starts = schedule.start_at if schedule is not None else 0.0
    if now - max(starts, float(candidate.meta[SIGNED_AT_META])) > SIGNATURE_MAX_AGE_SECONDS:
        return messages.signature_too_old()
    approval_id = approval_of(job.kwargs)
    if approval_id is None:
        return None
    if not approval_id or not signer.release_holds(
        job_id=job.job_id, approval_id=approval_id, meta=candidate.meta
    ):
        return messages.not_released()
    if now - max(starts, float(candidate.meta[RELEASE_META]["at"])) > SIGNATURE_MAX_AGE_SECONDS:
        return messages.signature_too_old()
    if (
        approval_record is None
        or approval_record.get("state") != "approved"
        or approval_record.get("job_id") != job.job_id
    ):
        return messages.not_approved(approval_id=approval_id)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
