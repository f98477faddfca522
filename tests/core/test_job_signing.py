"""What a worker admits: our job functions, as the bot signed them, released and approved when gated."""

from __future__ import annotations

from typing import Any

from shared.job_signing import (
    JOB_REGISTRY,
    SIGNATURE_MAX_AGE_SECONDS,
    Candidate,
    JobSigner,
    SignedJob,
    refusal,
)
from shared.messages import admission as messages

SIGNER = JobSigner(b"k" * 64)
NOW = 1_700_000_000.0
GATED = {"deployment": "web", "replicas": 0, "approval": {"approval_id": "apr-1", "plan_job": "job-1-plan"}}
APPROVED = {"state": "approved", "job_id": "job-1"}


def candidate(
    function: str = "workers.jobs.cordon", kwargs: dict[str, Any] | None = None, **meta: Any
) -> Candidate:
    """A job signed by the bot at NOW (plus ``meta``), as a worker would take it off the queue."""
    job = SignedJob("job-1", "chatops-default", function, (), kwargs or {"node": "node-1"})
    return Candidate(job=job, meta={**SIGNER.sign(job, now=NOW), **meta})


def test_a_signed_job_of_the_registry_is_admitted() -> None:
    """The bot's own ``cordon``, fresh: nothing to object to."""
    assert refusal(candidate(), signer=SIGNER, now=NOW + 5, approval_record=None) is None


def test_the_registry_holds_the_jobs_of_commands_only() -> None:
    """``workers.jobs.drain`` is in it; ``os.system`` and the envelope's helpers are not."""
    assert "workers.jobs.drain" in JOB_REGISTRY
    assert not {"os.system", "workers.runtime.job", "subprocess.run"} & JOB_REGISTRY


def test_a_function_outside_the_registry_is_refused_even_when_signed() -> None:
    """A valid signature does not make ``os.system`` one of our jobs."""
    reason = refusal(candidate("os.system"), signer=SIGNER, now=NOW, approval_record=None)
    assert reason == messages.not_a_job_function(function="os.system")


def test_changed_arguments_break_the_signature() -> None:
    """The signature covers the arguments: another node is another job."""
    signed = candidate()
    changed = Candidate(
        job=SignedJob("job-1", "chatops-default", "workers.jobs.cordon", (), {"node": "node-2"}),
        meta=signed.meta,
    )
    assert refusal(changed, signer=SIGNER, now=NOW, approval_record=None) == messages.bad_signature()


def test_callbacks_are_refused() -> None:
    """Our jobs carry no callbacks, so a job asking RQ to call one is not ours."""
    job = candidate()
    with_callback = Candidate(job=job.job, meta=job.meta, callbacks=("os.system",))
    reason = refusal(with_callback, signer=SIGNER, now=NOW, approval_record=None)
    assert reason == messages.unexpected_call_shape()


def test_an_old_signature_is_a_replay() -> None:
    """A day after signing, the job is refused."""
    reason = refusal(
        candidate(), signer=SIGNER, now=NOW + SIGNATURE_MAX_AGE_SECONDS + 1, approval_record=None
    )
    assert reason == messages.signature_too_old()


def test_a_gated_job_needs_the_release_and_the_approved_record() -> None:
    """Without the bot's release it is refused; with it, only beside a record approved for this job."""
    parked = candidate("workers.jobs.scale", GATED)
    assert refusal(parked, signer=SIGNER, now=NOW, approval_record=APPROVED) == messages.not_released()
    release = SIGNER.release(job_id="job-1", approval_id="apr-1", now=NOW + 60)
    released = candidate("workers.jobs.scale", GATED, **release)
    assert refusal(released, signer=SIGNER, now=NOW + 61, approval_record=APPROVED) is None
    for record in (None, {"state": "pending", "job_id": "job-1"}, {"state": "approved", "job_id": "job-2"}):
        reason = refusal(released, signer=SIGNER, now=NOW + 61, approval_record=record)
        assert reason == messages.not_approved(approval_id="apr-1")


def test_a_release_for_another_approval_does_not_release_the_job() -> None:
    """The release names the approval: one given for ``apr-2`` is worth nothing for ``apr-1``."""
    release = SIGNER.release(job_id="job-1", approval_id="apr-2", now=NOW)
    released = candidate("workers.jobs.scale", GATED, **release)
    assert refusal(released, signer=SIGNER, now=NOW, approval_record=APPROVED) == messages.not_released()
