"""Sending requests to the app exactly as Slack does: signed bodies over real HTTP.

Slack signs ``v0:{timestamp}:{raw body}`` with HMAC-SHA256 and the app's signing secret, and sends
``x-slack-signature: v0=<hex>`` and ``x-slack-request-timestamp``. The signature here is computed
over the very bytes that are sent. :class:`SlackSender` builds the three kinds of body the app
takes on ``/slack/events``: events (JSON), slash commands (form) and block actions (form with a JSON
``payload``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode

from tests.slack.fake_slack import BOT_USER, TEAM

SECRET = "test-signing-secret"


def signature(body: bytes, *, secret: str, timestamp: int) -> str:
    """The ``x-slack-signature`` of ``body`` sent at ``timestamp``."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post(
    url: str,
    body: bytes,
    *,
    content_type: str,
    secret: str = SECRET,
    timestamp: int | None = None,
    headers: Mapping[str, str] | None = None,
    forged_signature: str | None = None,
    without: Collection[str] = (),
) -> tuple[int, bytes]:
    """POST ``body`` signed with ``secret`` (or a forged signature); return status and body.

    ``headers`` replace the computed ones; the headers named in ``without`` are not sent at all.
    """
    sent_at = int(time.time()) if timestamp is None else timestamp
    all_headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": str(sent_at),
        "x-slack-signature": forged_signature or signature(body, secret=secret, timestamp=sent_at),
        **(headers or {}),
    }
    for name in without:
        del all_headers[name]
    request = urllib.request.Request(url, data=body, headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def event_body(event: Mapping[str, Any], *, event_id: str) -> bytes:
    """An Events API ``event_callback`` delivery of ``event``."""
    envelope = {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A1",
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }
    return json.dumps(envelope).encode()


class SlackSender:
    """Plays Slack's side of the app's request URL."""

    def __init__(self, events_url: str, *, response_url: str, channel: str = "C_OPS") -> None:
        self.events_url = events_url
        self.response_url = response_url
        self.channel = channel
        self._ids = itertools.count(1)
        self._epoch = int(time.time()) - 100

    @staticmethod
    def sent_at() -> int:
        """The request timestamp of a request sent now (to send the very same request again)."""
        return int(time.time())

    def new_ts(self) -> str:
        """A fresh message ts."""
        return f"{self._epoch}.{next(self._ids):06d}"

    def send_event(
        self, event: Mapping[str, Any], *, retry: int | None = None, timestamp: int | None = None
    ) -> tuple[int, bytes]:
        """Deliver one event (a retry when ``retry`` is set)."""
        headers = (
            {} if retry is None else {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        )
        body = event_body(event, event_id=f"Ev{next(self._ids)}")
        return post(
            self.events_url, body, content_type="application/json", headers=headers, timestamp=timestamp
        )

    def message_event(
        self,
        text: str,
        *,
        user: str,
        ts: str,
        kind: str = "message",
        channel: str | None = None,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An ``app_mention`` or ``message`` event."""
        event: dict[str, Any] = {
            "type": kind,
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel or self.channel,
            "event_ts": ts,
            "team": TEAM,
        }
        if kind == "message":
            event["channel_type"] = "im" if event["channel"].startswith("D") else "channel"
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        event.update(extra)
        return event

    def slash(self, text: str, *, user: str, channel: str | None = None) -> tuple[int, bytes]:
        """Invoke ``/ops text``."""
        return self.send_slash(self.slash_body(text, user=user, channel=channel))

    def slash_body(self, text: str, *, user: str, channel: str | None = None, trigger: bool = True) -> bytes:
        """The form Slack posts for ``/ops text`` (with a fresh ``trigger_id`` unless ``trigger`` is False)."""
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": channel or self.channel,
            "user_id": user,
            "command": "/ops",
            "text": text,
            "response_url": self.response_url,
        }
        if trigger:
            form["trigger_id"] = f"1.2.{next(self._ids)}"
        return urlencode(form).encode()

    def send_slash(self, body: bytes, *, timestamp: int | None = None) -> tuple[int, bytes]:
        """Deliver a slash command's form, signed as sent at ``timestamp`` (now by default)."""
        return post(
            self.events_url, body, content_type="application/x-www-form-urlencoded", timestamp=timestamp
        )

    def click(
        self, action_id: str, *, user: str, thread_ts: str, message_ts: str, value: str = "apr_1"
    ) -> tuple[int, bytes]:
        """Click a button on a message in a thread."""
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": f"1.2.{next(self._ids)}",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": self.channel,
                "is_ephemeral": False,
                "thread_ts": thread_ts,
            },
            "channel": {"id": self.channel},
            "message": {
                "type": "message",
                "ts": message_ts,
                "thread_ts": thread_ts,
                "text": "Approval needed",
            },
            "response_url": self.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": f"decide:{value}",
                    "value": value,
                    "action_ts": f"{int(time.time())}.{next(self._ids):06d}",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return post(self.events_url, body, content_type="application/x-www-form-urlencoded")
