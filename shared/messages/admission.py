"""Why a worker refused to run a job it found on its queue, and what to set to start without a key.

These reach the worker's log and the job's failure record in RQ (never a chat thread: a job nobody
signed has no requester to tell).
"""

from __future__ import annotations


def not_a_job_function(*, function: str) -> str:
    """A job naming something that is not one of our job functions."""
    return f"refused: {function!r} is not a chatops job function; nothing was run."


def unexpected_call_shape() -> str:
    """A job with positional arguments, an instance or callbacks, which our jobs never carry."""
    return "refused: the job carries positional arguments, an instance or callbacks; nothing was run."


def bad_signature() -> str:
    """A job not signed by the bot, or changed since."""
    return "refused: the job is not signed with the job key, or was changed since; nothing was run."


def signature_too_old() -> str:
    """A job signed too long ago: a replay."""
    return "refused: the job was signed too long ago (a replay?); nothing was run."


def not_released() -> str:
    """A gated job queued without the bot's release."""
    return "refused: the job needs an approval and was queued without the bot's release; nothing was run."


def not_approved(*, approval_id: str) -> str:
    """A gated job whose approval request is not stored as approved, for it."""
    return f"refused: approval {approval_id} is not recorded as approved for this job; nothing was run."


def replayed() -> str:
    """A job admitted once already."""
    return "refused: this job was already run once (a replay?); nothing was run."


def job_key_missing(*, program: str) -> str:
    """``chatops bot`` or ``chatops worker`` started without ``CHATOPS_JOB_KEY``."""
    return (
        f"{program} needs CHATOPS_JOB_KEY, the key the bot signs jobs with and the workers check them by "
        "(the same secret for both, at least 32 characters; for example `openssl rand -hex 32`)."
    )


def job_key_too_short(*, length: int) -> str:
    """A job key too short to be a secret."""
    return (
        f"CHATOPS_JOB_KEY must be at least 32 characters long (it has {length}); try `openssl rand -hex 32`."
    )
