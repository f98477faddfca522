"""Durations as people write them in chat and in policy files: ``90s``, ``15m``, ``1h30m``, ``2h``.

A bare number means seconds, as kubectl's ``--timeout`` accepts Go durations and our users mix both.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class DurationError(ValueError):
    """A duration that cannot be read; the message says what was expected."""


def parse_duration(text: str) -> float:
    """Return the number of seconds ``text`` denotes.

    Accepts a bare non-negative integer (seconds) or a sequence of ``<int><unit>`` parts with units
    ms, s, m, h, d, as in ``1h30m``. Raises :class:`DurationError` for anything else, including an
    empty string and negative values.
    """
    value = text.strip().lower()
    if value.isdigit():
        return float(value)
    if not value:
        raise DurationError("a duration is needed, like 90s, 15m or 1h")
    position = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(value):
        raise DurationError(f"'{text}' is not a duration; write it like 90s, 15m or 1h30m")
    return total


def format_duration(seconds: float) -> str:
    """Render seconds compactly for people: ``45s``, ``15m``, ``1h30m``, ``2d``."""
    remaining = round(seconds)
    if remaining < 60:
        return f"{remaining}s"
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
