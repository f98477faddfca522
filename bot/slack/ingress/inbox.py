"""The Slack inbox: every verified delivery, stored in Redis before Slack hears back.

Slack wants an answer within 3 seconds and retries when it gets none. The HTTP front
(:mod:`bot.slack.ingress.front`) therefore does the least it can: check the signature, append the raw
request to this stream, answer 200. The work (de-duplication, parsing, policy, enqueueing,
reactions and replies) happens in :class:`~bot.slack.ingress.inbox_runner.InboxRunner`, usually in another
process, which reads the stream through a consumer group. A delivery acknowledged to Slack is
therefore already durable: a runner that dies mid-delivery leaves it pending in the group, and the
next runner claims it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping

from redis import Redis

INBOX_STREAM = "chatops:slack:inbox"
RUNNER_GROUP = "chatops-slack-runners"
HEARTBEATS = "chatops:slack:runners"
"""A sorted set: each runner's name, scored with the time of its last heartbeat."""
HEARTBEAT_SECONDS = 15
"""A runner beats this often; one silent for three beats counts as gone."""

MAX_WAITING = 10_000
"""Deliveries the inbox holds before the front turns new ones away (503: Slack tries again later).

Reached only when no runner has been working for a long while; it keeps a runner outage from
growing Redis without bound. ``chatops_slack_inbox_depth`` shows it coming."""

KEPT_HEADERS = (
    "content-type",
    "x-slack-request-timestamp",
    "x-slack-signature",
    "x-slack-retry-num",
    "x-slack-retry-reason",
)
"""The request headers Bolt reads; nothing else of the request is kept."""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One stored request: its stream id, raw body, Slack's headers and when the front took it."""

    id: str
    body: str
    headers: dict[str, str]
    received_at: float


class InboxFull(Exception):
    """The inbox holds :data:`MAX_WAITING` deliveries already."""


class Inbox:
    """Append deliveries to the inbox stream; how many wait there."""

    def __init__(
        self, connection: Redis, *, stream: str = INBOX_STREAM, max_waiting: int = MAX_WAITING
    ) -> None:
        self._redis = connection
        self.stream = stream
        self.max_waiting = max_waiting

    def put(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Store one verified request; its stream id. :class:`InboxFull` when it holds too many.

        One round trip: the length is read with the append, and an append past the limit is taken back.
        """
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        pipe = self._redis.pipeline(transaction=True)
        pipe.xlen(self.stream)
        pipe.xadd(self.stream, {"body": body, "headers": json.dumps(kept), "received_at": repr(time.time())})
        waiting, entry_id = pipe.execute()
        if int(waiting) >= self.max_waiting:
            self._redis.xdel(self.stream, entry_id)
            raise InboxFull(self.stream)
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def depth(self) -> int:
        """Deliveries stored and not yet done (the stream only keeps those)."""
        return int(self._redis.xlen(self.stream))

    def runners_alive(self) -> int:
        """How many runners have beaten their heartbeat within the last three beats."""
        return int(self._redis.zcount(HEARTBEATS, time.time() - 3 * HEARTBEAT_SECONDS, "+inf"))


def delivery_from_fields(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> Delivery:
    """Rebuild a :class:`Delivery` from a stream entry."""
    headers = json.loads(fields.get(b"headers", b"{}"))
    return Delivery(
        id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        body=fields.get(b"body", b"").decode("utf-8", errors="replace"),
        headers={str(name): str(value) for name, value in headers.items()},
        received_at=float(fields.get(b"received_at", b"0") or 0),
    )
