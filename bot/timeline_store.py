"""The timeline on Redis Streams: one stream per incident, one per channel outside incidents.

Appending is one Lua script (:mod:`bot.timeline_append`): concurrent appenders (bot processes, the
timeline recorder) extend the keyed hash chain one at a time, and a retried append with the same
``event_id`` is recorded once. Job events reach the timeline through the recorder's own consumer
group on the job events stream (:mod:`bot.timeline_recorder`), the one bus every adapter reads.

Keys::

    chatops:timeline:incident:<id>          stream of an incident's entries
    chatops:timeline:channel:<channel>      stream of a channel's entries outside incidents
    <stream>:head                           hash {seq, hash}: the last link, to notice a removed tail
    chatops:timeline:event:<event_id>       "<stream> <seq>" for de-duplication (expires)
    chatops:incident:<id>                   an incident (JSON)
    chatops:incident:open:<channel>         the id of the channel's open incident
    chatops:incident:seq                    counter naming incidents inc-1, inc-2, ...

Retention trims each stream on its own (MAXLEN approximately, MINID exactly), so trimming one incident
never touches another's history.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from redis import Redis

from bot.core.timeline import (
    Appended,
    ChainedEntry,
    ChainHead,
    Entry,
    EntryKind,
    Incident,
    Page,
    Scope,
    TimelineExport,
    verify_chain,
)
from bot.timeline_append import NO_CHECK, ChainAppender, Placement
from shared.messages import timeline as messages

INCIDENT_SEQ_KEY = "chatops:incident:seq"

DEFAULT_DEDUP_SECONDS = 7 * 24 * 3600
"""How long an event id is remembered: retries later than this would be recorded again."""

EXPORT_BATCH = 5_000
"""Entries read per XRANGE call when exporting."""


@dataclasses.dataclass(frozen=True)
class Retention:
    """How much of each stream to keep; ``None`` keeps everything. Applied per stream on every append.

    ``max_len`` is approximate (Redis trims whole nodes, so a little more is kept); ``max_age_seconds``
    is exact, measured against the stream ids (the Redis server's clock at append time).
    """

    max_len: int | None = None
    max_age_seconds: float | None = None

    @property
    def applies(self) -> bool:
        """Whether entries may be trimmed at all."""
        return self.max_len is not None or self.max_age_seconds is not None


def incident_stream(incident_id: str) -> str:
    """The stream of an incident."""
    return f"chatops:timeline:incident:{incident_id}"


def channel_stream(channel: str) -> str:
    """The stream of a channel outside incidents."""
    return f"chatops:timeline:channel:{channel}"


def _incident_key(incident_id: str) -> str:
    return f"chatops:incident:{incident_id}"


def _open_key(channel: str) -> str:
    return f"chatops:incident:open:{channel}"


def _event_key(event_id: str) -> str:
    return f"chatops:timeline:event:{event_id}"


class TimelineStore:
    """Incidents and timelines of every channel, in one Redis, chained under ``key`` (kept outside it)."""

    def __init__(
        self,
        redis: Redis,
        *,
        key: bytes,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
        dedup_seconds: int = DEFAULT_DEDUP_SECONDS,
    ) -> None:
        self._redis = redis
        self._key = key
        self._clock = clock
        self._retention = retention or Retention()
        self._appender = ChainAppender(
            redis,
            key=key,
            dedup_seconds=dedup_seconds,
            max_len=self._retention.max_len,
            min_id=self._min_id,
        )

    # Incidents.

    def open_incident(
        self, *, channel: str, title: str, actor: str, at: float | None = None
    ) -> tuple[Incident, bool]:
        """Start an incident in ``channel``; returns it and whether it is new (False: one was already open)."""
        current = self.open_incident_in(channel)
        if current is not None:
            return current, False
        incident_id = f"inc-{self._redis.incr(INCIDENT_SEQ_KEY)}"
        when = self._clock() if at is None else at
        incident = Incident(
            incident_id=incident_id, title=title, channel=channel, opened_by=actor, opened_at=when
        )
        if not self._redis.set(_open_key(channel), incident_id, nx=True):
            current = self.open_incident_in(channel)
            if current is not None:
                return current, False
            return self.open_incident(channel=channel, title=title, actor=actor, at=at)
        self._redis.set(_incident_key(incident_id), json.dumps(incident.to_json()))
        self._appender.expect_open(channel, incident_id)
        self.append(
            Entry(
                at=when,
                actor=actor,
                kind=EntryKind.INCIDENT_OPENED,
                summary=messages.incident_opened_summary(title=title),
                channel=channel,
                incident_id=incident_id,
                event_id=f"{incident_id}-opened",
            )
        )
        return incident, True

    def close_incident(self, *, channel: str, actor: str, at: float | None = None) -> Incident | None:
        """End the channel's open incident; ``None`` if none was open."""
        incident_id = cast("bytes | None", self._redis.getdel(_open_key(channel)))
        if incident_id is None:
            return None
        opened = self.incident(_text(incident_id))
        if opened is None:
            return None
        when = self._clock() if at is None else at
        self._appender.expect_open(channel, "")
        closed = dataclasses.replace(opened, closed_by=actor, closed_at=when)
        self._redis.set(_incident_key(closed.incident_id), json.dumps(closed.to_json()))
        self.append(
            Entry(
                at=when,
                actor=actor,
                kind=EntryKind.INCIDENT_CLOSED,
                summary=messages.incident_closed_summary(title=closed.title),
                channel=channel,
                incident_id=closed.incident_id,
                event_id=f"{closed.incident_id}-closed",
            )
        )
        return closed

    def incident(self, incident_id: str) -> Incident | None:
        """An incident, open or closed, by id."""
        raw = cast("bytes | None", self._redis.get(_incident_key(incident_id)))
        return None if raw is None else Incident.from_json(json.loads(raw))

    def open_incident_in(self, channel: str) -> Incident | None:
        """The channel's open incident, if any."""
        incident_id = cast("bytes | None", self._redis.get(_open_key(channel)))
        return None if incident_id is None else self.incident(_text(incident_id))

    def scope(self, *, channel: str, incident_id: str | None = None) -> Scope | None:
        """The timeline ``timeline [INCIDENT]`` means in ``channel``; ``None`` for an unknown incident.

        Without an incident id: the channel's open incident, or else the channel's own timeline.
        """
        incident = self.open_incident_in(channel) if incident_id is None else self.incident(incident_id)
        if incident is not None:
            label = messages.scope_incident(incident_id=incident.incident_id, title=incident.title)
            return Scope(stream=incident_stream(incident.incident_id), label=label, incident=incident)
        if incident_id is not None:
            return None
        return Scope(stream=channel_stream(channel), label=messages.scope_channel(channel=channel))

    # Entries.

    def append(self, entry: Entry) -> Appended:
        """Record ``entry`` once, chained after the last entry of its stream.

        An entry without ``incident_id`` made in a channel with an open incident is stamped with that
        incident and goes to its stream; otherwise it goes to the channel's own stream.
        """
        return self._appender.append(entry, place=_placement, event_key=_event_key(entry.event_id))

    def _min_id(self) -> str | None:
        if self._retention.max_age_seconds is None:
            return None
        oldest_ms = int((self._clock() - self._retention.max_age_seconds) * 1000)
        return f"{max(oldest_ms, 0)}-0"

    def head(self, stream: str) -> ChainHead | None:
        """The last link recorded for ``stream``."""
        return _head(self._redis.hgetall(f"{stream}:head"))

    def page(self, stream: str, *, count: int = 20, before: str | None = None) -> Page:
        """The latest ``count`` entries (newest first), or those just older than stream id ``before``."""
        top = "+" if before is None else f"({before}"
        raw = cast("list[Any]", self._redis.xrevrange(stream, max=top, min="-", count=count + 1))
        entries = [_chained(entry_id, fields) for entry_id, fields in raw[:count]]
        older = entries[-1].stream_id if len(raw) > count else None
        return Page(entries=entries, older_before=older)

    def entries(self, stream: str, *, batch: int = EXPORT_BATCH) -> Iterator[ChainedEntry]:
        """Every entry of ``stream`` in stored order, read ``batch`` at a time."""
        low = "-"
        while True:
            raw = cast("list[Any]", self._redis.xrange(stream, min=low, max="+", count=batch))
            for entry_id, fields in raw:
                yield _chained(entry_id, fields)
            if len(raw) < batch:
                return
            low = "(" + _text(raw[-1][0])

    def export(self, scope: Scope) -> TimelineExport:
        """The whole timeline of ``scope`` with its hash chain verified against the recorded head."""
        entries = list(self.entries(scope.stream))
        report = verify_chain(
            entries, key=self._key, head=self.head(scope.stream), retention_applies=self._retention.applies
        )
        return TimelineExport(scope=scope.label, entries=entries, report=report, incident=scope.incident)


def _placement(entry: Entry, open_id: str) -> Placement:
    """Where ``entry`` goes when ``open_id`` ("" for none) is its channel's open incident."""
    open_key = _open_key(entry.channel)
    if entry.incident_id:
        return Placement(incident_stream(entry.incident_id), open_key, expected_open=NO_CHECK)
    if not entry.channel:
        return Placement(channel_stream(""), open_key, expected_open=NO_CHECK)
    stream = incident_stream(open_id) if open_id else channel_stream(entry.channel)
    return Placement(stream, open_key, expected_open=open_id)


def _chained(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> ChainedEntry:
    return ChainedEntry(
        seq=int(fields[b"seq"]),
        body=_text(fields[b"body"]),
        prev_hash=_text(fields[b"prev"]),
        hash=_text(fields[b"hash"]),
        stream_id=_text(entry_id),
    )


def _head(raw: Any) -> ChainHead | None:
    fields = cast("dict[bytes, bytes]", raw)
    if not fields:
        return None
    return ChainHead(seq=int(fields[b"seq"]), hash=_text(fields[b"hash"]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
