"""``--at TIME`` and ``--in DURATION``: asking for a later start, read apart from the command grammar.

Any command that changes something may end with one of them (they may come anywhere after the verb,
like other options). They are taken out of the text before the grammar reads the rest, so the job's
command stays what it would be typed without them (which is what stale-plan detection and undo read
back). ``TIME`` is ``HH:MM`` (the next time the clock shows it), ``DAY HH:MM`` (the next such day) or
``YYYY-MM-DDTHH:MM``, in the window's time zone when the command has a window, else UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from shared.durations import DurationError, parse_duration
from shared.errors import UsageError
from shared.messages import windows as messages
from shared.windows import DAYS, Window

_OPTION = re.compile(r"^(?:--|\u2014|\u2013)(at|in)(?:=(.*))?$")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})")


@dataclasses.dataclass(frozen=True)
class StartRequest:
    """What the person asked for: a time of day or date (``at``), or a wait (``in_seconds``)."""

    at: str | None = None
    in_seconds: float | None = None
    option: str = "--at"

    def wanted(self, *, now: float, window: Window | None) -> float:
        """The moment asked for, read in the window's zone (UTC without one); raises :class:`UsageError`."""
        if self.in_seconds is not None:
            return now + self.in_seconds
        assert self.at is not None
        zone: dt.tzinfo = ZoneInfo(window.zone) if window is not None else dt.UTC
        local_now = dt.datetime.fromtimestamp(now, zone)
        stamp = _STAMP.fullmatch(self.at)
        if stamp is not None:
            year, month, day, hour, minute = (int(part) for part in stamp.groups())
            try:
                moment = dt.datetime(year, month, day, hour, minute, tzinfo=zone).timestamp()
            except ValueError:
                raise UsageError(messages.start_usage(messages.not_a_start_time(text=self.at))) from None
            if moment <= now:
                raise UsageError(messages.start_usage(messages.start_in_the_past(text=self.at)))
            return moment
        day_name, _, clock_text = self.at.rpartition(" ")
        clock = _CLOCK.fullmatch(clock_text)
        if clock is None or int(clock[1]) > 23 or int(clock[2]) > 59 or day_name.lower() not in ("", *DAYS):
            raise UsageError(messages.start_usage(messages.not_a_start_time(text=self.at)))
        candidate = local_now.replace(hour=int(clock[1]), minute=int(clock[2]), second=0, microsecond=0)
        if day_name:
            ahead = (DAYS.index(day_name.lower()) - local_now.weekday()) % 7
            candidate += dt.timedelta(days=ahead)
        while candidate.timestamp() <= now:
            candidate += dt.timedelta(days=7 if day_name else 1)
        return candidate.replace(tzinfo=zone).timestamp()


def split_start(text: str) -> tuple[str, StartRequest | None]:
    """``text`` without its ``--at``/``--in`` option, and what it asked; raises :class:`UsageError`.

    Words are split on spaces; ``--at`` takes one word, or two when the first is a day name.
    """
    words = text.split()
    kept: list[str] = []
    found: StartRequest | None = None
    index = 0
    while index < len(words):
        match = _OPTION.match(words[index])
        if match is None:
            kept.append(words[index])
            index += 1
            continue
        if found is not None:
            raise UsageError(messages.start_usage(messages.start_option_twice()))
        name, inline = match[1], match[2]
        option = f"--{name}"
        if inline is not None:
            value, index = inline, index + 1
        elif index + 1 < len(words):
            value, index = words[index + 1], index + 2
        else:
            raise UsageError(messages.start_usage(messages.start_value_missing(option=option)))
        if name == "at" and value.lower() in DAYS and index < len(words):
            value, index = f"{value} {words[index]}", index + 1
        found = _request(option, value)
    return " ".join(kept), found


def _request(option: str, value: str) -> StartRequest:
    if option == "--at":
        return StartRequest(at=value, option=option)
    try:
        seconds = parse_duration(value)
    except DurationError as error:
        raise UsageError(messages.start_usage(str(error).rstrip("."))) from None
    return StartRequest(in_seconds=seconds, option=option)
