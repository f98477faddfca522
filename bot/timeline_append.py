"""Appending to a timeline in one round trip: de-duplication and the keyed hash chain in one Lua script.

The link's hash is an HMAC under a key Redis never sees, so it is computed here, and the script only
checks that what it was computed against still holds before writing: the event id is not recorded
yet, the channel's open incident (which decides the stream) and the stream's head (which the link
follows) are the ones expected. Expectations come from what this appender last saw, so a lone
appender (the timeline recorder draining job events) makes one call per entry; when another process
moved the head or opened an incident in between, the script answers with what it found and the
append is computed again (a compare-and-set, as ``WATCH`` did, without its four extra round trips).

A script's writes are not rolled back when one of its commands fails, so the checks come first and
the first write is the ``XADD``, which fails alone when the stream key holds another type (a wrong
type of the head or de-duplication key fails their reads before it): a failed append writes nothing,
and a retried one (the recorder's redelivery) is recorded once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

from redis import Redis
from redis.commands.core import Script

from bot.core.timeline import Appended, ChainedEntry, ChainHead, Entry, link

NO_CHECK = "-"
"""Expected open incident for an entry whose stream is already decided (it names its incident)."""

CACHE_LIMIT = 10_000
"""Streams and channels remembered before the expectations are forgotten (and read again)."""

APPEND_SCRIPT = """
local seen = redis.call('GET', KEYS[3])
if seen then return {'duplicate', seen} end
if ARGV[1] ~= '-' then
  local open = redis.call('GET', KEYS[4]) or ''
  if open ~= ARGV[1] then return {'incident', open} end
end
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local seq, hash = head[1] or '0', head[2] or ''
if seq ~= ARGV[2] or hash ~= ARGV[3] then return {'head', seq, hash} end
local id
if ARGV[9] ~= '' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[9], '*',
    'seq', ARGV[4], 'prev', ARGV[5], 'hash', ARGV[6], 'body', ARGV[7])
else
  id = redis.call('XADD', KEYS[1], '*', 'seq', ARGV[4], 'prev', ARGV[5], 'hash', ARGV[6], 'body', ARGV[7])
end
if ARGV[10] ~= '' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[10]) end
redis.call('HSET', KEYS[2], 'seq', ARGV[4], 'hash', ARGV[6])
redis.call('SET', KEYS[3], KEYS[1] .. ' ' .. ARGV[4], 'EX', ARGV[8])
return id
"""


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where an entry goes: its stream, and the open-incident key whose value decided it (if any)."""

    stream: str
    open_key: str
    expected_open: str
    """The incident id expected under ``open_key`` ("" for none), or :data:`NO_CHECK`."""


class ChainAppender:
    """Appends entries with one script call each, remembering the heads and open incidents it saw."""

    def __init__(
        self,
        redis: Redis,
        *,
        key: bytes,
        dedup_seconds: int,
        max_len: int | None,
        min_id: Callable[[], str | None],
    ) -> None:
        """``min_id`` gives the MINID to trim to on each append (``None``: no age limit)."""
        self._redis = redis
        self._key = key
        self._dedup_seconds = dedup_seconds
        self._max_len = max_len
        self._min_id = min_id
        self._script: Script = redis.register_script(APPEND_SCRIPT)
        self._heads: dict[str, ChainHead | None] = {}
        self._open: dict[str, str] = {}

    def expect_open(self, channel: str, incident_id: str) -> None:
        """Remember ``channel``'s open incident ("" for none), as this process just set it."""
        self._remember(self._open, channel, incident_id)

    def append(self, entry: Entry, *, place: Callable[[Entry, str], Placement], event_key: str) -> Appended:
        """Record ``entry`` once, chained after its stream's head; ``place`` decides the stream from the
        channel's open incident (the one expected, until the script says otherwise)."""
        while True:
            placement = place(entry, self._open.get(entry.channel, ""))
            stamp = None if placement.expected_open in {NO_CHECK, ""} else placement.expected_open
            head = self._heads.get(placement.stream)
            chained = link(entry, head=head, key=self._key, incident_id=stamp)
            min_id = self._min_id()
            answer = cast(
                "bytes | list[Any]",
                self._script(
                    keys=[placement.stream, f"{placement.stream}:head", event_key, placement.open_key],
                    args=[
                        placement.expected_open,
                        0 if head is None else head.seq,
                        "" if head is None else head.hash,
                        chained.seq,
                        chained.prev_hash,
                        chained.hash,
                        chained.body,
                        self._dedup_seconds,
                        "" if self._max_len is None else self._max_len,
                        "" if min_id is None else min_id,
                    ],
                ),
            )
            if not isinstance(answer, list):  # the new entry's stream id
                self._remember(self._heads, placement.stream, ChainHead(seq=chained.seq, hash=chained.hash))
                return Appended(
                    stream=placement.stream,
                    seq=chained.seq,
                    duplicate=False,
                    chained=ChainedEntry(
                        seq=chained.seq,
                        body=chained.body,
                        prev_hash=chained.prev_hash,
                        hash=chained.hash,
                        stream_id=_text(answer),
                    ),
                )
            outcome = _text(answer[0])
            if outcome == "duplicate":
                seen_stream, seen_seq = _text(answer[1]).rsplit(" ", 1)
                return Appended(stream=seen_stream, seq=int(seen_seq), duplicate=True)
            if outcome == "incident":
                self._remember(self._open, entry.channel, _text(answer[1]))
                continue
            seq = int(answer[1])  # "head": another appender moved it
            found = None if seq == 0 else ChainHead(seq=seq, hash=_text(answer[2]))
            self._remember(self._heads, placement.stream, found)

    @staticmethod
    def _remember(cache: dict[str, Any], name: str, value: Any) -> None:
        if len(cache) >= CACHE_LIMIT and name not in cache:
            cache.clear()
        cache[name] = value


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
