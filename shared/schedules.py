"""When a deferred job is to start, and in which window: the ``schedule`` argument a job carries.

The bot decides it (a window closed now, or ``--at``/``--in``) and puts it in the job's signed
keyword arguments; the dispatcher hands the job to RQ's scheduler for that moment; the worker reads
it back at start, to check the job still falls in its window and, over many nodes, to stop at the
window's end. The window travels as written in the policy, so the worker needs no policy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from shared.windows import Window, WindowError, next_opening, opening_at, parse_window

SCHEDULE_ARGUMENT = "schedule"
"""The keyword argument of a deferred job holding its :class:`Schedule`."""


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A deferred start: ``start_at`` (unix seconds), inside ``window`` when there is one."""

    start_at: float
    window: Window | None = None
    asked_at: float = 0.0
    """When the start was decided (the request, or its approval)."""
    break_glass: bool = False
    """Let through a freeze (with the incident group's approval): a freeze at start does not void it."""

    @property
    def waits(self) -> bool:
        """Whether the job was to wait before starting (False: it runs at once, bound to its window)."""
        return self.start_at > self.asked_at

    def to_json(self) -> dict[str, Any]:
        """The job argument form."""
        found: dict[str, Any] = {"start_at": self.start_at, "asked_at": self.asked_at}
        if self.break_glass:
            found["break_glass"] = True
        if self.window is not None:
            found["window"] = {"name": self.window.name, "spec": self.window.spec}
        return found

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Schedule:
        """Read the job argument form back; a window that no longer reads is dropped."""
        window = None
        written = value.get("window")
        if isinstance(written, Mapping):
            try:
                window = parse_window(str(written.get("name", "")), str(written.get("spec", "")))
            except WindowError:
                window = None
        return cls(
            start_at=float(value.get("start_at", 0.0)),
            window=window,
            asked_at=float(value.get("asked_at", 0.0)),
            break_glass=bool(value.get("break_glass", False)),
        )

    def when_released(self, now: float) -> float:
        """When the job may start if released at ``now``: its start, or the next opening once that passed."""
        if self.start_at > now:
            return self.start_at
        if self.window is None or opening_at(self.window, now) is not None:
            return now
        return next_opening(self.window, now).start


def schedule_of(kwargs: Mapping[str, Any]) -> Schedule | None:
    """The schedule a job's keyword arguments carry, if any."""
    value = kwargs.get(SCHEDULE_ARGUMENT)
    return Schedule.from_json(value) if isinstance(value, Mapping) else None
