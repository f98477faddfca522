"""Running each chat command once, however many times Slack delivers it.

Slack retries a delivery it thinks failed (``X-Slack-Retry-Num``), and a mention in a channel the
bot reads arrives twice: as ``app_mention`` and as ``message``, with different event ids. Both carry
the same channel and message ``ts``, so the first delivery claims that pair in Redis (``SET NX`` with
an expiry) and the others find it taken. Redis makes the claim hold across several bot processes.

A claim names its owner, the inbox delivery that made it: when a runner dies half-way through a
delivery and another runs that same delivery again, the claim is still its own and the work is
finished rather than dropped as a duplicate; once the work is finished the claim says so, and nobody
runs it again.

A slash command has no message of its own until the bot posts one (its request, whose ``ts`` names
the job), so it is claimed before that, by a key naming the typing of the command: Slack's
``trigger_id``, or a digest of the signed body when there is none (:meth:`Deduplicator.claim_slash`). A replay
of the same request finds the key taken; the same inbox delivery run again (a reply failed) finds
its own claim, with the ``ts`` of the request it posted, and goes on in that thread.
"""

from __future__ import annotations

import dataclasses
import json

from redis import Redis

DEFAULT_TTL_SECONDS = 86_400
"""How long a claim is kept: far longer than Slack's retries (minutes)."""

KEY_PREFIX = "chatops:slack:seen"
DONE = "done"


@dataclasses.dataclass(frozen=True)
class SlashClaim:
    """A slash command this delivery may run; ``root_ts`` when its request message is posted already."""

    key: str
    owner: str | None
    root_ts: str | None = None


class Deduplicator:
    """Claims ``(channel, ts)`` pairs and slash commands; only the first claim of each succeeds."""

    def __init__(self, connection: Redis, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._connection = connection
        self._ttl_seconds = ttl_seconds

    def claim(self, *, channel: str, ts: str, owner: str | None = None) -> bool:
        """True the first time ``(channel, ts)`` is claimed (or again by the same ``owner``), else False."""
        key = self._key(channel, ts)
        if self._connection.set(key, owner or "1", nx=True, ex=self._ttl_seconds):
            return True
        if owner is None:
            return False
        held = self._connection.get(key)
        return held in (owner, owner.encode())

    def finish(self, *, channel: str, ts: str) -> None:
        """The claim's work is done: no owner may run it again (the claim keeps its expiry)."""
        self._connection.set(self._key(channel, ts), DONE, keepttl=True)

    def release(self, *, channel: str, ts: str) -> None:
        """Forget a claim, so a retry can run a delivery whose handling crashed."""
        self._connection.delete(self._key(channel, ts))

    @staticmethod
    def _key(channel: str, ts: str) -> str:
        return f"{KEY_PREFIX}:{channel}:{ts}"

    def claim_slash(self, key: str, *, owner: str | None = None) -> SlashClaim | None:
        """The claim of slash command ``key`` the first time (or again by the same ``owner``), else None."""
        stored = self._slash_key(key)
        if self._connection.set(stored, json.dumps({"owner": owner}), nx=True, ex=self._ttl_seconds):
            return SlashClaim(key=key, owner=owner)
        if owner is None:
            return None
        held = _held(self._connection.get(stored))
        if held.get("owner") != owner:
            return None
        root_ts = held.get("root_ts")
        return SlashClaim(key=key, owner=owner, root_ts=str(root_ts) if root_ts else None)

    def slash_posted(self, claim: SlashClaim, *, root_ts: str) -> None:
        """The request message of ``claim`` is posted at ``root_ts``: a run again goes on there."""
        value = json.dumps({"owner": claim.owner, "root_ts": root_ts})
        self._connection.set(self._slash_key(claim.key), value, keepttl=True)

    @staticmethod
    def _slash_key(key: str) -> str:
        return f"{KEY_PREFIX}:slash:{key}"


def _held(raw: bytes | str | None) -> dict[str, object]:
    try:
        value = json.loads(raw) if raw is not None else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
