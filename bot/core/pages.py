"""Pages of what people read in chat (``timeline``, ``jobs``) as values, so each surface draws its own.

The console prints the plain-text answer; Slack draws a :class:`ReadingPage` as blocks with Older and
Newer buttons. A button carries a :class:`PageCursor` (which list, which incident, how far back),
encoded small; the click is turned back into a cursor and answered like the command typed again in
that channel, under the policy, by whoever clicked. Pages count back from the newest entry at the
time they are drawn: page 1 is the latest ``size`` entries, page 2 the ``size`` before them, and so on.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Sequence

from bot.core.timeline import ChainedEntry, in_time_order
from shared.jobs import JobSummary
from shared.messages import jobs as job_messages
from shared.messages import pages as messages
from shared.messages import timeline as timeline_messages
from shared.names import NameKind, is_valid_name

PAGE_SIZE = 10
"""Entries on one page."""
MAX_OFFSET = 100_000
"""How far back a cursor may point; anything further is not a page anyone drew."""


class PageKind(enum.StrEnum):
    """Which list a page shows; the value is the command (and policy name) that reads it."""

    TIMELINE = "timeline"
    JOBS = "jobs"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PageCursor:
    """Where a page is: the list, the incident (timeline only; none for the channel's own), how far back.

    ``cluster`` is the cluster a ``jobs`` page was asked for with ``--cluster`` (none: the default).
    """

    kind: PageKind
    offset: int = 0
    incident: str | None = None
    cluster: str | None = None

    def moved(self, by: int) -> PageCursor:
        """The cursor ``by`` entries further back (negative: more recent), never before the newest."""
        return dataclasses.replace(self, offset=max(0, self.offset + by))

    def encode(self) -> str:
        """The compact form a button carries."""
        data: dict[str, str | int] = {"k": self.kind.value, "o": self.offset}
        if self.incident is not None:
            data["i"] = self.incident
        if self.cluster is not None:
            data["c"] = self.cluster
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, value: str) -> PageCursor | None:
        """The cursor a button carried, or ``None`` when it does not read as one (it is never trusted)."""
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict) or set(data) - {"k", "o", "i", "c"}:
            return None
        kind, offset, incident, cluster = data.get("k"), data.get("o"), data.get("i"), data.get("c")
        if kind not in {k.value for k in PageKind} or not isinstance(offset, int) or isinstance(offset, bool):
            return None
        if not 0 <= offset <= MAX_OFFSET:
            return None
        if incident is not None and (
            kind != PageKind.TIMELINE
            or not isinstance(incident, str)
            or not is_valid_name(NameKind.INCIDENT, incident)
        ):
            return None
        if cluster is not None and (
            kind != PageKind.JOBS
            or not isinstance(cluster, str)
            or not is_valid_name(NameKind.CLUSTER, cluster)
        ):
            return None
        return cls(kind=PageKind(kind), offset=offset, incident=incident, cluster=cluster)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PageItem:
    """One entry: when (UTC time of day, or ``--:--:--``), who (a user id or a name), what (chat-safe)."""

    when: str
    actor: str
    what: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReadingPage:
    """One page of a list, with what a surface needs to offer the neighbouring pages."""

    title: str
    """Chat-safe heading."""
    items: tuple[PageItem, ...]
    cursor: PageCursor
    size: int
    has_older: bool
    empty: str
    """The sentence shown when there is nothing on the page."""

    @property
    def number(self) -> int:
        """The page's number, 1 for the newest."""
        return self.cursor.offset // self.size + 1

    @property
    def older(self) -> PageCursor | None:
        """The next page back in time, if there is one."""
        return self.cursor.moved(self.size) if self.has_older else None

    @property
    def newer(self) -> PageCursor | None:
        """The page before this one (more recent), unless this is the newest."""
        return self.cursor.moved(-self.size) if self.cursor.offset > 0 else None


def timeline_page(
    newest_first: Sequence[ChainedEntry],
    *,
    scope: str,
    cursor: PageCursor,
    has_older: bool,
    size: int = PAGE_SIZE,
) -> ReadingPage:
    """The page at ``cursor`` from the latest ``cursor.offset + size`` entries, newest first as stored.

    ``has_older`` says whether entries exist beyond those read. Within the page, entries are in the
    order things happened.
    """
    shown = newest_first[cursor.offset : cursor.offset + size]
    items = tuple(
        PageItem(
            when=timeline_messages.clock(entry.at),
            actor=entry.actor,
            what=timeline_messages.page_entry(
                kind=entry.kind.label, summary=entry.summary, job_id=entry.job_id
            ),
        )
        for _, entry in in_time_order(shown)
    )
    return ReadingPage(
        title=messages.timeline_title(scope=scope),
        items=items,
        cursor=cursor,
        size=size,
        has_older=has_older or len(newest_first) > cursor.offset + size,
        empty=timeline_messages.page_empty(scope=scope),
    )


def jobs_page(
    newest_first: Sequence[JobSummary], *, cluster: str, cursor: PageCursor, size: int = PAGE_SIZE
) -> ReadingPage:
    """The page at ``cursor`` of the jobs read (read one more than the page needs to know of older ones)."""
    shown = newest_first[cursor.offset : cursor.offset + size]
    items = tuple(
        PageItem(
            when=job.enqueued_at.strftime("%H:%M:%S") if job.enqueued_at else "--:--:--",
            actor=job.user,
            what=job_messages.page_entry(
                job_id=job.job_id, status=job.status, description=job.description, starts_at=job.starts_at
            ),
        )
        for job in shown
    )
    return ReadingPage(
        title=messages.jobs_title(cluster=cluster),
        items=items,
        cursor=cursor,
        size=size,
        has_older=len(newest_first) > cursor.offset + size,
        empty=messages.jobs_empty(cluster=cluster),
    )
