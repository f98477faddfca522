"""The keyed hash chain that makes a timeline tamper-evident, and its verification.

Entries are chained in the order they are appended: entry ``n`` stores the hash of entry ``n-1``, and
its own hash is an HMAC-SHA256, under a key kept outside Redis, of that previous hash and the
canonical JSON of the entry (sequence number included)::

    hash(n) = hmac_sha256(key, hash(n-1) + "\\n" + canonical_json(seq=n, entry))      hash(0) = "0" * 64

Whoever can write Redis but does not hold the key cannot forge a link: an entry rewritten and
re-hashed (with plain SHA-256, or HMAC under another key) no longer verifies.

:func:`verify_chain` recomputes the chain and names altered entries (content no longer matches its
hash), removed ones (gaps in the sequence, or a tail shorter than the recorded head) and entries that
no longer follow their predecessor, and the first entry where the chain breaks. Entries trimmed by a
retention policy leave a gap at the start, which is reported as trimmed, not as tampering, when the
caller says retention applies.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from bot.core.timeline.entries import Entry, EntryKind
from shared.messages import timeline as messages

GENESIS_HASH = "0" * 64
"""The "previous hash" of the first entry of every stream."""

DEMO_CHAIN_KEY = b"chatops-demo-timeline-key (public: anyone can forge a chain under it)"
"""The key of the embedded console and the tests; ``chatops bot`` refuses to start without its own."""


@dataclasses.dataclass(frozen=True)
class ChainedEntry:
    """An entry at its place in a chain: its sequence number, the stored content and both hashes."""

    seq: int
    body: str
    """The canonical JSON that was hashed, exactly as stored."""
    prev_hash: str
    hash: str
    stream_id: str = ""
    """Where the store keeps it (a Redis stream id); not part of the hash."""

    @functools.cached_property
    def entry(self) -> Entry:
        """The entry itself (parsed once); content that no longer parses reads as an error entry."""
        try:
            return Entry.from_json(json.loads(self.body))
        except (ValueError, KeyError, TypeError):
            return Entry(
                at=0.0, actor="", kind=EntryKind.ERROR, summary=messages.unreadable_entry(), channel=""
            )

    def intact(self, *, key: bytes) -> bool:
        """Whether the content still matches the hash stored with it, under ``key``."""
        return hmac.compare_digest(chain_hash(self.prev_hash, self.body, key=key), self.hash)


@dataclasses.dataclass(frozen=True)
class ChainHead:
    """The last link of a chain as recorded on append: lets verification notice a removed tail."""

    seq: int
    hash: str


def canonical_body(entry: Entry, *, seq: int, incident_id: str | None = None) -> str:
    """The exact text hashed for ``entry`` at position ``seq``: sorted keys, no spaces, UTF-8.

    ``incident_id``, when given, stamps the entry with the incident it is recorded in.
    """
    fields = entry.to_json()
    if incident_id is not None:
        fields["incident_id"] = incident_id
    return json.dumps({"seq": seq, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, body: str, *, key: bytes) -> str:
    """The hash of one link: HMAC-SHA256 under ``key`` of the previous hash and the entry's canonical body."""
    return hmac.new(key, f"{prev_hash}\n{body}".encode(), hashlib.sha256).hexdigest()


def link(entry: Entry, *, head: ChainHead | None, key: bytes, incident_id: str | None = None) -> ChainedEntry:
    """Chain ``entry`` after ``head`` (``None`` for the first entry of a stream), hashed under ``key``;
    ``incident_id`` stamps it with the incident it is recorded in."""
    seq = 1 if head is None else head.seq + 1
    prev_hash = GENESIS_HASH if head is None else head.hash
    body = canonical_body(entry, seq=seq, incident_id=incident_id)
    return ChainedEntry(seq=seq, body=body, prev_hash=prev_hash, hash=chain_hash(prev_hash, body, key=key))


@dataclasses.dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found; entries are named by sequence number."""

    checked: int
    first_seq: int | None
    last_seq: int | None
    altered: tuple[int, ...] = ()
    """Entries whose content no longer matches their hash."""
    missing: tuple[tuple[int, int], ...] = ()
    """Inclusive ranges of removed entries."""
    broken_links: tuple[int, ...] = ()
    """Entries that no longer follow their predecessor (it was replaced, or reordered)."""
    trimmed: int = 0
    """Entries before ``first_seq`` dropped by the retention policy (not an error)."""

    @property
    def ok(self) -> bool:
        """Whether nothing was altered or removed."""
        return not (self.altered or self.missing or self.broken_links)

    @property
    def breaks_at(self) -> int | None:
        """The first entry (by sequence number) from which the chain cannot be trusted; ``None`` if ok."""
        firsts = [*self.altered[:1], *(first for first, _ in self.missing[:1]), *self.broken_links[:1]]
        return min(firsts) if firsts else None

    def to_json(self) -> dict[str, Any]:
        """The JSON form included in exports."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "altered": list(self.altered),
            "missing": [list(span) for span in self.missing],
            "broken_links": list(self.broken_links),
            "breaks_at": self.breaks_at,
            "trimmed": self.trimmed,
        }

    def sentence(self) -> str:
        """The verdict in one line, for exports and replies."""
        if self.ok:
            return messages.chain_verified(count=self.checked, trimmed=self.trimmed)
        return messages.chain_broken(
            breaks_at=self.breaks_at or 0,
            altered=self.altered,
            missing=self.missing,
            broken_links=self.broken_links,
        )


def verify_chain(
    entries: Iterable[ChainedEntry],
    *,
    key: bytes,
    head: ChainHead | None = None,
    retention_applies: bool = False,
) -> ChainReport:
    """Recompute the chain of ``entries`` (in stored order, hashed under ``key``) against its ``head``.

    With ``retention_applies``, a chain starting after entry 1 is taken as trimmed by retention;
    without it, the missing first entries are reported as removed.
    """
    altered: list[int] = []
    missing: list[tuple[int, int]] = []
    broken: list[int] = []
    previous: ChainedEntry | None = None
    first_seq: int | None = None
    trimmed = 0
    checked = 0
    for current in entries:
        checked += 1
        if not current.intact(key=key):
            altered.append(current.seq)
        if previous is None:
            first_seq = current.seq
            if current.seq > 1:
                if retention_applies:
                    trimmed = current.seq - 1
                else:
                    missing.append((1, current.seq - 1))
            elif current.prev_hash != GENESIS_HASH:
                broken.append(current.seq)
        elif current.seq > previous.seq + 1:
            missing.append((previous.seq + 1, current.seq - 1))
        elif current.seq != previous.seq + 1 or current.prev_hash != previous.hash:
            broken.append(current.seq)
        previous = current
    last_seq = None if previous is None else previous.seq
    if head is not None:
        if previous is None:
            if head.seq > 0 and not retention_applies:
                missing.append((1, head.seq))
        elif head.seq > previous.seq:
            missing.append((previous.seq + 1, head.seq))
        elif head.seq == previous.seq and head.hash != previous.hash:
            broken.append(previous.seq)
    return ChainReport(
        checked=checked,
        first_seq=first_seq,
        last_seq=last_seq,
        altered=tuple(altered),
        missing=tuple(missing),
        broken_links=tuple(broken),
        trimmed=trimmed,
    )
