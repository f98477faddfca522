"""What can stop a job, named for what happens next.

::

    JobError                 the job cannot do what was asked; the message says why (shown as is)
    ├── NotFound             a target does not exist
    ├── Conflict             the object changed under a write (409); re-read and re-apply
    ├── StalePlan            the cluster moved since the plan that was approved; ask again
    └── Cancelled            someone cancelled the job between two steps

Anything else escaping a job is a bug or an unexpected API answer: the requester is told the job
failed unexpectedly and the details go to the worker's log.
"""

from __future__ import annotations


class JobError(Exception):
    """A job stopped for a reason people can act on; ``str(error)`` is the sentence they read."""


class NotFound(JobError):
    """A target named in the command does not exist."""


class Conflict(JobError):
    """A write lost a race with another writer (409 Conflict); the caller may re-read and retry."""


class Cancelled(JobError):
    """The job was cancelled by its requester between two steps."""


class StalePlan(JobError):
    """The targets changed since the plan that was approved: the approval is void, nothing was changed."""
