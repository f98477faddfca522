"""Sentences about change windows, deferred jobs and freezes.

Window problems are read by whoever edits the policy; deferral replies by the requester, who wants
to know when the work will run, in the window's own time zone and as a wait from now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

# Reading windows (the policy file and --at)


def window_usage(problem: str) -> str:
    """A window that cannot be read, with how one is written."""
    return f"{problem}; write a window like 'sat 22:00-sun 04:00 Europe/Berlin'"


def no_zone(*, spec: str) -> str:
    """The window names no time zone at its end."""
    return f"'{spec}' ends with no time zone"


def not_a_range(*, part: str) -> str:
    """One part of the window is not ``DAY HH:MM-[DAY ]HH:MM``."""
    return f"'{part}' is not a range like 'sat 22:00-sun 04:00'"


def empty_range(*, part: str) -> str:
    """A range starting and ending at the same moment."""
    return f"'{part}' starts and ends at the same time"


def not_a_day(*, day: str, part: str, days: Sequence[str]) -> str:
    """A day name windows do not know."""
    return f"'{day}' in '{part}' is not a day ({', '.join(days)})"


def not_a_time(*, text: str, part: str) -> str:
    """A time of day out of range."""
    return f"'{text}' in '{part}' is not a time of day"


def not_a_zone(*, name: str) -> str:
    """A time zone the zone database does not have."""
    return f"'{name}' is not a time zone (write one like Europe/Berlin or UTC)"


def unknown_window(*, name: str, known: Sequence[str]) -> str:
    """A rule names a window the policy does not define."""
    listed = ", ".join(f"'{known_name}'" for known_name in known) or "none"
    return f"no window called '{name}' (the policy defines {listed})"


# Asking for a later start: --at TIME, --in DURATION


def start_usage(problem: str) -> str:
    """A start option that cannot be read, with how to write it."""
    return (
        f"{problem}. Write `--at 22:00`, `--at sat 22:00` or `--at 2026-12-12T22:00` "
        "(in the window's time zone, else UTC), or `--in 2h`."
    )


def start_option_twice() -> str:
    """Both --at and --in, or one of them twice."""
    return "Give one later start, `--at TIME` or `--in DURATION`, not both"


def start_value_missing(*, option: str) -> str:
    """The option came last, with no value."""
    return f"`{option}` needs a value"


def not_a_start_time(*, text: str) -> str:
    """--at with something that is not a time."""
    return f"`{text}` is not a time"


def start_in_the_past(*, text: str) -> str:
    """--at with a moment already gone."""
    return f"`{text}` has already passed"


def start_for_changes_only(*, command: str) -> str:
    """--at/--in on a command that runs no job that changes something."""
    return f"`{command}` runs at once: only commands that change something can start later (`--at`, `--in`)."


# Deferral


def starts(at: float | None) -> str:
    """What a waiting job's line adds: ``, starts Sat 18 Nov 21:00 UTC`` (nothing for other jobs)."""
    if at is None:
        return ""
    return f", starts {dt.datetime.fromtimestamp(at, dt.UTC):%a %d %b %H:%M} UTC"


def wait_text(seconds: float) -> str:
    """A wait as people say it: ``2 d 3 h``, ``3 h 20 min``, ``5 min``, ``under a minute``."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def deferred(
    *, job_id: str, description: str, cluster: str, when: str, wait: float, window: str | None
) -> str:
    """The reply once work is queued for later (a window's opening, or --at/--in)."""
    why = f"It waits for window `{window}`; " if window else ""
    return (
        f"Job `{job_id}` ({description} on `{cluster}`) is queued for {when}, in {wait_text(wait)}.\n"
        f"{why}`cancel {job_id}` drops it; it is checked again when it starts."
    )


def deferred_summary(*, description: str, when: str, window: str | None) -> str:
    """The timeline entry of a deferred job."""
    why = f" in window {window}" if window else ""
    return f"deferred: {description} starts {when}{why}"


def outside_window_note(*, window: str, when: str) -> str:
    """Said with the plan-first reply: the approval is asked now, the work waits for the window."""
    return f"`{window}` is closed now: once approved, the job waits for its opening, {when}."


def later_start_note(*, when: str) -> str:
    """Said with the plan-first reply of a job asked to start later (``--at``/``--in``)."""
    return f"Once approved, the job waits to start at {when}."


def window_closed_at_start(*, job_id: str, window: str) -> str:
    """A deferred job found its window closed when it was to start (a worker came back too late)."""
    return (
        f"`{job_id}` was void: its window `{window}` had closed by the time it could start. "
        "Nothing was changed; ask again."
    )


def target_changed_at_start(*, job_id: str, detail: str) -> str:
    """A deferred job's targets changed while it waited."""
    return (
        f"`{job_id}` was void: its target changed while it waited ({detail}). Nothing was changed; ask again."
    )


def window_ended(
    *, job_id: str, window: str, done: Sequence[str], left: Sequence[str], resumes: str, continuation: str
) -> str:
    """A job over many nodes stopped between nodes at the window's end; the rest waits for the next."""
    finished = ", ".join(f"`{name}`" for name in done) or "none"
    remaining = ", ".join(f"`{name}`" for name in left)
    return (
        f"`{job_id}` paused: window `{window}` closed. Done: {finished}. Left: {remaining}; "
        f"they resume at the next opening, {resumes}, as `{continuation}` (`cancel {continuation}` drops them)."
    )


def resumes(*, job_id: str) -> str:
    """Added to the start of a continuation."""
    return f"It resumes `{job_id}`, paused at its window's end, from where it stopped."
