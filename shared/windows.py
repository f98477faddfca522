"""Change windows: named weekly time ranges in a time zone, and when work may start within them.

A window is written ``sat 22:00-sun 04:00 Europe/Berlin``: one or more weekly ranges (separated by
commas), each from a day and time to a day and time (the second day may be left out when it is the
same day), then an IANA time zone. Times are wall-clock times in that zone, so a window keeps its
local hours across daylight-saving changes. A range may cross the end of the week (``sun 22:00-mon
02:00``); a range that starts and ends at the same moment is refused, as it is either empty or the
whole week (write no window for that).

Pure functions over unix timestamps; the bot (policy, replies) and the workers (the check at start,
the stop at the window's end) share them, and a test moves their clock by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.messages import windows as messages

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names as windows spell them, Monday first (ISO order)."""

MINUTES_A_WEEK = 7 * 24 * 60

_RANGE = re.compile(
    r"(?P<day1>[a-z]{3})\s+(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?:(?P<day2>[a-z]{3})\s+)?(?P<h2>\d{1,2}):(?P<m2>\d{2})"
)


class WindowError(ValueError):
    """A window that cannot be read; the message says what is wrong and how it is written."""


@dataclasses.dataclass(frozen=True)
class WeeklyRange:
    """From ``start`` to ``start + length`` minutes, counted from Monday 00:00 of a week (local time)."""

    start: int
    length: int


@dataclasses.dataclass(frozen=True)
class Window:
    """A named window: its weekly ranges and the time zone they are read in."""

    name: str
    ranges: tuple[WeeklyRange, ...]
    zone: str
    spec: str
    """The window as written in the policy (what a job carries, so a worker reads the same window)."""


@dataclasses.dataclass(frozen=True)
class Opening:
    """One occurrence of a window: from ``start`` to ``end`` (unix seconds)."""

    start: float
    end: float


def parse_window(name: str, spec: str) -> Window:
    """Read ``spec`` (``sat 22:00-sun 04:00 Europe/Berlin``) as the window ``name``; raise :class:`WindowError`."""
    head, _, zone_name = spec.strip().rpartition(" ")
    if not head or ("/" not in zone_name and zone_name.upper() != "UTC"):
        raise WindowError(messages.window_usage(messages.no_zone(spec=spec)))
    _zone(zone_name)
    text = " ".join(head.lower().split())
    ranges: list[WeeklyRange] = []
    for part in (piece.strip() for piece in text.split(",")):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise WindowError(messages.window_usage(messages.not_a_range(part=part)))
        start = _minute_of_week(match["day1"], match["h1"], match["m1"], part=part)
        end = _minute_of_week(match["day2"] or match["day1"], match["h2"], match["m2"], part=part)
        length = (end - start) % MINUTES_A_WEEK
        if length == 0:
            raise WindowError(messages.window_usage(messages.empty_range(part=part)))
        ranges.append(WeeklyRange(start=start, length=length))
    return Window(name=name, ranges=tuple(ranges), zone=zone_name, spec=spec.strip())


def opening_at(window: Window, at: float) -> Opening | None:
    """The opening of ``window`` that ``at`` falls in, or None when the window is closed then."""
    for opening in _openings_around(window, at):
        if opening.start <= at < opening.end:
            return opening
    return None


def next_opening(window: Window, after: float) -> Opening:
    """The opening that ``after`` falls in, or else the first one to start after it."""
    current = opening_at(window, after)
    if current is not None:
        return current
    return min(
        (opening for opening in _openings_around(window, after) if opening.start > after),
        key=lambda opening: opening.start,
    )


def start_time(window: Window | None, *, wanted: float) -> float:
    """When work wanted at ``wanted`` may start: then if the window is open (or there is none), else at its next opening."""
    if window is None:
        return wanted
    return max(wanted, next_opening(window, wanted).start)


def local_time(window: Window | None, at: float) -> str:
    """``Sat 22:00 CET``: ``at`` as people near the window read it (UTC without a window)."""
    zone = _zone(window.zone) if window is not None else dt.UTC
    return dt.datetime.fromtimestamp(at, zone).strftime("%a %d %b %H:%M %Z")


def _openings_around(window: Window, at: float) -> list[Opening]:
    """Every opening starting from the week before ``at``'s week to two weeks after it."""
    zone = _zone(window.zone)
    local = dt.datetime.fromtimestamp(at, zone)
    monday = dt.datetime.combine(local.date() - dt.timedelta(days=local.weekday()), dt.time())
    openings: list[Opening] = []
    for week in (-1, 0, 1, 2):
        base = monday + dt.timedelta(weeks=week)
        for weekly in window.ranges:
            start = base + dt.timedelta(minutes=weekly.start)
            end = start + dt.timedelta(minutes=weekly.length)
            openings.append(
                Opening(
                    start=start.replace(tzinfo=zone).timestamp(), end=end.replace(tzinfo=zone).timestamp()
                )
            )
    return sorted(openings, key=lambda opening: opening.start)


def _minute_of_week(day: str, hours: str, minutes: str, *, part: str) -> int:
    if day not in DAYS:
        raise WindowError(messages.window_usage(messages.not_a_day(day=day, part=part, days=DAYS)))
    hour, minute = int(hours), int(minutes)
    if hour == 24 and minute == 0:
        return (DAYS.index(day) + 1) * 24 * 60 % MINUTES_A_WEEK
    if hour > 23 or minute > 59:
        raise WindowError(messages.window_usage(messages.not_a_time(text=f"{hours}:{minutes}", part=part)))
    return DAYS.index(day) * 24 * 60 + hour * 60 + minute


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(messages.window_usage(messages.not_a_zone(name=name))) from None
