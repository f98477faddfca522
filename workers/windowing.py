"""A deferred job checked again when it starts, and a job in a window stopped at the window's end.

The bot planned, approved and deferred the job earlier; when RQ's scheduler hands it to a worker,
:func:`check_at_start` makes sure it still may run: inside its window (a worker that came back
after the window closed does not start it), and not frozen (:mod:`shared.freezes`). A target that
changed while it waited is caught by the plan's witnesses (:meth:`~workers.report.Reporter.confirm_plan`)
and said as a void of the deferred job. Over many nodes, :func:`window_closed` tells a job to start
no further node (:mod:`workers.upgrading`).
"""

from __future__ import annotations

from typing import Any

from redis import Redis

from shared.freezes import Freeze, freeze_key
from shared.messages import freezes as freeze_messages
from shared.messages import windows as messages
from shared.schedules import Schedule
from shared.windows import local_time, next_opening, opening_at
from workers import clock
from workers.errors import JobError


class Voided(JobError):
    """A deferred job may no longer run (its window closed, a freeze began): nothing was changed."""


class WindowEnded(JobError):
    """A job over many nodes stopped between two nodes because its window closed; the rest waits."""

    def __init__(self, *, done: list[str], left: list[str]) -> None:
        super().__init__(", ".join(left))
        self.done = done
        self.left = left


def check_at_start(schedule: Schedule | None, *, job_id: str, cluster: str, connection: Redis) -> None:
    """Raise :class:`Voided` when a deferred job's cluster is frozen or its window closed; nothing for others."""
    if schedule is None:
        return
    raw: Any = connection.get(freeze_key(cluster))
    freeze = Freeze.from_text(raw)
    if freeze is not None and freeze.holds(clock.now()) and not schedule.break_glass:
        text = freeze_messages.frozen_at_start(
            job_id=job_id, cluster=cluster, by=freeze.by, reason=freeze.reason
        )
        raise Voided(text)
    if schedule.window is not None and opening_at(schedule.window, clock.now()) is None:
        raise Voided(messages.window_closed_at_start(job_id=job_id, window=schedule.window.name))


def window_closed(schedule: Schedule | None) -> bool:
    """Whether the job's window has closed (False for a job without one)."""
    return (
        schedule is not None
        and schedule.window is not None
        and opening_at(schedule.window, clock.now()) is None
    )


def next_opening_text(schedule: Schedule) -> str:
    """When the job's window opens next, as people near it read it."""
    assert schedule.window is not None
    return local_time(schedule.window, next_opening(schedule.window, clock.now()).start)
