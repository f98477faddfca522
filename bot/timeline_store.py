"""The timeline on Redis Streams: one stream per incident, one per channel outside incidents, and a feed.

Appending is one optimistic transaction (WATCH the stream's head and the event's de-duplication key,
then MULTI/EXEC), so concurrent appenders (workers, bot processes) extend the hash chain one at a
time, and a retried append with the same ``event_id`` is recorded once. The same transaction copies
the entry to the feed stream, which the chat side reads through a consumer group
(:class:`FeedReader`): the timeline is the bus, and workers need no chat credentials.

Keys::

    chatops:timeline:incident:<id>          stream of an incident's entries
    chatops:timeline:channel:<channel>      stream of a channel's entries outside incidents
    <stream>:head                           hash {seq, hash}: the last link, to notice a removed tail
    chatops:timeline:event:<event_id>       "<stream> <seq>" for de-duplication (expires)
    chatops:timeline:feed                   every entry of every stream, for the consumer group
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
from redis.client import Pipeline
from redis.exceptions import WatchError
from redis.typing import EncodableT, FieldT

from bot.core.messages import timeline as messages
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
    link,
    verify_chain,
)
from bot.stream_groups import ensure_group, recreating

FEED_STREAM = "chatops:timeline:feed"
"""Every appended entry, in append order, for the chat side's consumer group."""

INCIDENT_SEQ_KEY = "chatops:incident:seq"

DEFAULT_DEDUP_SECONDS = 7 * 24 * 3600
"""How long an event id is remembered: retries later than this would be recorded again."""

DEFAULT_FEED_MAX_LEN = 100_000
"""About how many entries the feed keeps for a consumer that fell behind."""

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


@dataclasses.dataclass(frozen=True)
class FeedItem:
    """One entry delivered to a consumer: the feed id to acknowledge, and where the entry lives."""

    feed_id: str
    stream: str
    chained: ChainedEntry


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
    """Incidents and timelines of every channel, in one Redis."""

    def __init__(
        self,
        redis: Redis,
        *,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
        dedup_seconds: int = DEFAULT_DEDUP_SECONDS,
        feed_max_len: int = DEFAULT_FEED_MAX_LEN,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._retention = retention or Retention()
        self._dedup_seconds = dedup_seconds
        self._feed_max_len = feed_max_len

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
        if not entry.incident_id and entry.channel:
            open_id = cast("bytes | None", self._redis.get(_open_key(entry.channel)))
            if open_id is not None:
                entry = dataclasses.replace(entry, incident_id=_text(open_id))
        stream = incident_stream(entry.incident_id) if entry.incident_id else channel_stream(entry.channel)
        head_key = f"{stream}:head"
        event_key = _event_key(entry.event_id)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(head_key, event_key)  # type: ignore[no-untyped-call]  # untyped in redis-py
                    seen = pipe.get(event_key)
                    if seen is not None:
                        pipe.unwatch()
                        seen_stream, seen_seq = _text(seen).rsplit(" ", 1)
                        return Appended(stream=seen_stream, seq=int(seen_seq), duplicate=True)
                    chained = link(entry, head=_head(pipe.hgetall(head_key)))
                    fields: dict[FieldT, EncodableT] = {
                        "seq": chained.seq,
                        "prev": chained.prev_hash,
                        "hash": chained.hash,
                        "body": chained.body,
                    }
                    pipe.multi()
                    self._add(pipe, stream, fields)
                    pipe.hset(head_key, mapping={"seq": chained.seq, "hash": chained.hash})
                    pipe.set(event_key, f"{stream} {chained.seq}", ex=self._dedup_seconds)
                    feed_fields: dict[FieldT, EncodableT] = {"stream": stream, **fields}
                    pipe.xadd(FEED_STREAM, feed_fields, maxlen=self._feed_max_len, approximate=True)
                    stream_id = _text(pipe.execute()[0])
                    return Appended(
                        stream=stream,
                        seq=chained.seq,
                        duplicate=False,
                        chained=dataclasses.replace(chained, stream_id=stream_id),
                    )
                except WatchError:
                    continue

    def _add(self, pipe: Pipeline, stream: str, fields: dict[FieldT, EncodableT]) -> None:
        retention = self._retention
        pipe.xadd(stream, fields, maxlen=retention.max_len, approximate=True)
        if retention.max_age_seconds is not None:
            oldest_ms = int((self._clock() - retention.max_age_seconds) * 1000)
            pipe.xtrim(stream, minid=f"{max(oldest_ms, 0)}-0", approximate=False)

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
            entries, head=self.head(scope.stream), retention_applies=self._retention.applies
        )
        return TimelineExport(scope=scope.label, entries=entries, report=report, incident=scope.incident)


class FeedReader:
    """Reads the feed through a consumer group: after a restart, it first re-reads what it had not acked.

    Call :meth:`read`, handle the items (post or edit the chat messages), then :meth:`ack` them. An
    item read but not acknowledged before a crash comes back on the next start, so nothing is lost;
    acknowledged items never come back, so nothing is handled twice.
    """

    def __init__(
        self, redis: Redis, *, group: str, consumer: str, stream: str = FEED_STREAM, start_at: str = "$"
    ) -> None:
        """Join (or create) ``group``; a new group starts at ``start_at`` (``$``: new entries only, ``0``: all)."""
        self._redis = redis
        self._group = group
        self._consumer = consumer
        self._stream = stream
        self._pending_cursor: str | None = "0"
        ensure_group(redis, stream, group, start=start_at)

    def read(self, *, count: int = 100, block_ms: int | None = None) -> list[FeedItem]:
        """The next items: this consumer's unacknowledged ones first, then new ones (waiting ``block_ms``)."""
        if self._pending_cursor is not None:
            items = self._read_from(self._pending_cursor, count=count, block_ms=None)
            if items:
                self._pending_cursor = items[-1].feed_id
                return items
            self._pending_cursor = None
        return self._read_from(">", count=count, block_ms=block_ms)

    def claim_abandoned(self, *, min_idle_ms: int, count: int = 100) -> list[FeedItem]:
        """Take over items other consumers of the group read but left unacknowledged for ``min_idle_ms``.

        For a consumer that will not come back (a replaced pod with a new name); handle and ack them.
        """
        answer: Any = recreating(
            lambda: self._redis.xautoclaim(
                self._stream, self._group, self._consumer, min_idle_ms, start_id="0-0", count=count
            ),
            redis=self._redis,
            stream=self._stream,
            group=self._group,
        )
        return self._items(answer[1])

    def ack(self, items: list[FeedItem]) -> None:
        """Mark ``items`` handled, so they are never delivered again."""
        if items:
            self._redis.xack(self._stream, self._group, *(item.feed_id for item in items))

    def _read_from(self, start: str, *, count: int, block_ms: int | None) -> list[FeedItem]:
        answer = cast(
            "list[Any]",
            recreating(
                lambda: self._redis.xreadgroup(
                    self._group, self._consumer, {self._stream: start}, count=count, block=block_ms
                ),
                redis=self._redis,
                stream=self._stream,
                group=self._group,
            ),
        )
        return [item for _stream, messages_read in answer or [] for item in self._items(messages_read)]

    @staticmethod
    def _items(messages_read: list[Any]) -> list[FeedItem]:
        items: list[FeedItem] = []
        for feed_id, fields in messages_read:
            if not fields:  # trimmed from the feed before it was acknowledged: nothing left to deliver
                continue
            chained = dataclasses.replace(_chained(feed_id, fields), stream_id="")
            items.append(FeedItem(feed_id=_text(feed_id), stream=_text(fields[b"stream"]), chained=chained))
        return items


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
