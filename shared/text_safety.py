"""Short names for the two formatting helpers every message module uses.

Both delegate to :mod:`shared.text`, which owns the escaping rules; this module only gives
message modules a compact vocabulary: ``code(name)`` and ``escape(text)``.
"""

from __future__ import annotations

from shared.text import echo, escape_for_chat

CODE_LIMIT = 200
"""Longest fragment shown as inline code; names and ids are far shorter."""


def escape(value: str) -> str:
    """Escape text for chat: no mention, channel ping or link can be smuggled in (idempotent)."""
    return escape_for_chat(value)


def code(value: str) -> str:
    """Show a name or id as inline code, escaped."""
    return echo(value, limit=CODE_LIMIT)
