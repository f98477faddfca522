"""Posting each reply to a delivery once, even when the runner posting it dies half-way.

A delivery whose runner died is run again (:mod:`bot.slack.ingress.inbox_runner`), and the engine answers
it again. Replies already posted must not be posted twice, so the ledger records, per delivery and
reply number, that a reply is being sent and then that it was sent. A reply recorded as sent is
skipped. One recorded as being sent but not as sent is the case that needs care: the runner died
between asking Slack and hearing back, and the message may be in the thread or not. Each reply
therefore carries Slack message metadata naming its delivery and number, and the thread is read
back (``conversations.replies``) to see whether Slack has it before sending it again.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

EVENT_TYPE = "chatops_reply"
"""The metadata ``event_type`` of every reply the bot posts for a delivery."""
KEY_PREFIX = "chatops:slack:replies:"
TTL_SECONDS = 86_400
SENDING, SENT = b"sending", b"sent"


def reply_metadata(delivery: str, index: int) -> dict[str, Any]:
    """The message metadata that names a reply: its delivery and its number among the replies."""
    return {"event_type": EVENT_TYPE, "event_payload": {"delivery": delivery, "reply": index}}


class ReplyLedger:
    """Per delivery, which replies are being sent and which were sent."""

    def __init__(self, connection: Redis, *, ttl_seconds: int = TTL_SECONDS) -> None:
        self._redis = connection
        self._ttl = ttl_seconds

    def state(self, delivery: str, index: int) -> bytes | None:
        """``SENDING``, ``SENT``, or None when this reply was never tried."""
        value: Any = self._redis.hget(KEY_PREFIX + delivery, str(index))
        return None if value is None else bytes(value)

    def mark(self, delivery: str, index: int, state: bytes) -> None:
        """Record ``state`` for a reply."""
        key = KEY_PREFIX + delivery
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, str(index), state)
        pipe.expire(key, self._ttl)
        pipe.execute()


def in_thread(client: WebClient, *, channel: str, thread_ts: str, delivery: str, index: int) -> bool:
    """Whether the thread already holds the reply with this delivery and number (False if unreadable)."""
    wanted = reply_metadata(delivery, index)["event_payload"]
    cursor: str | None = None
    try:
        while True:
            page = client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == EVENT_TYPE and metadata.get("event_payload") == wanted:
                    return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
    except SlackApiError:
        return False
