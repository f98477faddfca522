"""Where each job's card is and what it shows, kept in Redis so a restarted bot edits the same message.

The card renderer holds its cards in memory for speed and writes them through to this store after
every step; a new bot process (a restart, a rolling deploy) loads them back, so it goes on editing
the card already posted instead of posting a second one, and finishes what was owed: a final state
not yet shown, a result not yet broadcast, thread replies not yet posted. One JSON value per job,
with a TTL (a week by default) so Undo buttons stay usable that long, and a sorted set of the cards
that still owe Slack something, so start-up does not scan keys::

    chatops:slack:card:<job_id>       JSON of StoredCard           (TTL)
    chatops:slack:cards:open          job ids, scored by last change (wall time)
    chatops:slack:card-undo:<job_id>  who asked for the undo       (TTL; set once, first click wins)
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from redis import Redis

from shared.jobevents import EventKind, LookupAnswer

KEY_PREFIX = "chatops:slack:card:"
OPEN_KEY = "chatops:slack:cards:open"
UNDO_PREFIX = "chatops:slack:card-undo:"

DEFAULT_TTL_SECONDS = 7 * 86_400
"""How long a card is remembered after its last change (and its Undo button works)."""


@dataclasses.dataclass
class StoredCard:
    """A job's card as Slack shows it, or should: where it is, its state, and what is still owed."""

    job_id: str
    channel: str
    thread_ts: str
    kind: EventKind
    text: str
    at: float
    """When the job said what the card shows (the event's time)."""
    ts: str | None = None
    """The card message's ts once posted."""
    sent: bool = False
    """Slack shows this state already."""
    sent_at: float | None = None
    """When Slack was last told (wall time)."""
    final: bool = False
    result: str | None = None
    """The final sentence still to broadcast."""
    details: list[str] = dataclasses.field(default_factory=list)
    """Thread replies still to post, oldest first."""
    undo: str | None = None
    """The command the card's Undo button runs, in words, when the finished operation has one."""
    undo_command: dict[str, Any] | None = None
    """The same command as data (:class:`shared.invocation.Invocation` JSON): what the click runs.
    A card stored by an earlier version has the words only, and its button says the undo is gone."""
    lookup: bool = False
    """A lookup's answer: a plain message holding what the job found, edited as it streams (no card)."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """A lookup's plans and warnings, shown above its latest progress."""
    file_name: str | None = None
    """A document still to share in the thread under the message (a list too long to show in it)."""
    file_content: str | None = None

    @property
    def answer(self) -> str:
        """What a lookup's message shows: its notes, then the latest thing it said."""
        return LookupAnswer(notes=list(self.notes), latest=self.text).text

    @property
    def done(self) -> bool:
        """True once the final state and every reply reached Slack."""
        return (
            self.final and self.sent and self.result is None and not self.details and self.file_name is None
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored for the card."""
        data = dataclasses.asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredCard:
        """Rebuild a card written by :meth:`to_json`; unknown keys are ignored."""
        names = {field.name for field in dataclasses.fields(cls)}
        fields = {key: value for key, value in data.items() if key in names}
        fields["kind"] = EventKind(fields["kind"])
        fields["details"] = [str(text) for text in fields.get("details") or []]
        fields["notes"] = [str(text) for text in fields.get("notes") or []]
        return cls(**fields)


def card_key(job_id: str) -> str:
    """The key of a job's card."""
    return KEY_PREFIX + job_id


class CardStore:
    """Job cards in Redis, shared by every bot process."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._clock = clock

    def load(self, job_id: str) -> StoredCard | None:
        """The stored card of ``job_id``, or None when it was never stored (or is forgotten)."""
        raw = self._redis.get(card_key(job_id))
        return None if raw is None else _card(raw)

    def save(self, cards: Iterable[StoredCard]) -> None:
        """Write ``cards`` in one round trip; the done ones leave the open set."""
        now = self._clock()
        with self._redis.pipeline(transaction=False) as pipe:
            for card in cards:
                pipe.set(card_key(card.job_id), json.dumps(card.to_json()), ex=self._ttl)
                if card.done:
                    pipe.zrem(OPEN_KEY, card.job_id)
                else:
                    pipe.zadd(OPEN_KEY, {card.job_id: now})
            pipe.execute()

    def forget(self, job_id: str) -> None:
        """Stop owing Slack anything for ``job_id`` (a card given up, or silent for too long)."""
        self._redis.zrem(OPEN_KEY, job_id)

    def unfinished(self, *, limit: int = 1000) -> list[StoredCard]:
        """Cards that still owe Slack something, least recently changed first."""
        job_ids: Any = self._redis.zrange(OPEN_KEY, 0, limit - 1)
        cards = []
        for job_id in job_ids:
            card = self.load(_text(job_id))
            if card is None:
                self.forget(_text(job_id))
            elif not card.done:
                cards.append(card)
        return cards

    def claim_undo(self, job_id: str, *, user: str) -> str | None:
        """Claim the card's undo for ``user``: None when it is theirs now, else who claimed it first."""
        key = UNDO_PREFIX + job_id
        if self._redis.set(key, user, nx=True, ex=self._ttl):
            return None
        claimed = self._redis.get(key)
        return _text(claimed) if claimed is not None else self.claim_undo(job_id, user=user)

    def release_undo(self, job_id: str) -> None:
        """Give the undo back (the click was refused, so somebody else may still ask for it)."""
        self._redis.delete(UNDO_PREFIX + job_id)

    def undo_claimed_by(self, job_id: str) -> str | None:
        """Who asked for the card's undo, if anybody did."""
        raw = self._redis.get(UNDO_PREFIX + job_id)
        return None if raw is None else _text(raw)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _card(raw: Any) -> StoredCard | None:
    try:
        return StoredCard.from_json(json.loads(_text(raw)))
    except (ValueError, KeyError, TypeError):
        return None
