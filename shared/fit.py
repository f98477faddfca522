"""Replies that fit a chat window: long lists summarised, long lines wrapped, the rest as a file.

A plan of 200 pods or a list of 5,000 nodes is not read in a message on a laptop-width window or a
phone. What people read is the count and the first few items (:func:`first_items`), in lines of at
most :data:`LINE_WIDTH` characters (:func:`wrap`, which leaves code blocks of data alone); the whole
list goes with the message as a file (:func:`attachment`, a job event detail that the Slack job
cards share in the thread and the console names).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from shared.messages import jobs as messages

LINE_WIDTH = 100
"""Most characters in one line of a reply, outside a code block of data."""

FIRST_ITEMS = 10
"""How many items of a long list a message names before counting the rest."""

FILE_DETAIL = "file"
"""The job event detail carrying a document to share with the message: ``{"name": …, "content": …}``."""

_FENCE = "```"


def first_items(items: Sequence[str], *, limit: int = FIRST_ITEMS) -> str:
    """``a, b, c`` for a short list; the first ``limit`` and ``and N more`` for a long one."""
    if not items:
        return messages.no_items()
    if len(items) <= limit:
        return ", ".join(items)
    return messages.first_of(", ".join(items[:limit]), more=len(items) - limit)


def wrap(text: str, *, width: int = LINE_WIDTH) -> str:
    """``text`` with every line longer than ``width`` wrapped at spaces, continuation lines indented.

    Lines inside a code block (between ````` fences) are data and stay as they are.
    """
    lines: list[str] = []
    in_code = False
    for line in text.split("\n"):
        fences = line.count(_FENCE)
        if in_code or fences or len(line) <= width:
            lines.append(line)
        else:
            indent = " " * (len(line) - len(line.lstrip()))
            lines.extend(
                textwrap.wrap(
                    line,
                    width=width,
                    subsequent_indent=indent + "  ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                or [line]
            )
        if fences % 2:
            in_code = not in_code
    return "\n".join(lines)


def attachment(name: str, content: str) -> dict[str, Any]:
    """The job event details that make the message carry ``content`` as the file ``name``."""
    return {FILE_DETAIL: {"name": name, "content": content}}


def attached(details: Mapping[str, Any]) -> tuple[str, str] | None:
    """The file (name, content) a job event carries, if any."""
    found = details.get(FILE_DETAIL)
    if not isinstance(found, Mapping):
        return None
    name, content = found.get("name"), found.get("content")
    if not isinstance(name, str) or not isinstance(content, str):
        return None
    return name, content
