"""What the timeline store keeps and hands back besides entries: incidents, scopes, pages, append results."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.core.timeline.chain import ChainedEntry


@dataclasses.dataclass(frozen=True)
class Incident:
    """An incident of one channel: from ``incident open TITLE`` to ``incident close``."""

    incident_id: str
    title: str
    channel: str
    opened_by: str
    opened_at: float
    closed_by: str | None = None
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Whether the incident has not been closed yet."""
        return self.closed_at is None

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored and exported."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incident:
        """Rebuild an incident from :meth:`to_json`."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Scope:
    """One timeline: an incident's or a channel's own."""

    stream: str
    label: str
    """The timeline in words, for headings."""
    incident: Incident | None = None


@dataclasses.dataclass(frozen=True)
class Appended:
    """The result of :meth:`TimelineStore.append`."""

    stream: str
    seq: int
    duplicate: bool
    """True when the event id was already recorded: nothing new was written."""
    chained: ChainedEntry | None = None
    """The new link; ``None`` for a duplicate."""


@dataclasses.dataclass(frozen=True)
class Page:
    """Latest entries of a timeline, newest first, and where the next (older) page starts."""

    entries: list[ChainedEntry]
    older_before: str | None
    """Pass as ``before`` to get the next page; ``None`` when this page reaches the oldest entry."""
