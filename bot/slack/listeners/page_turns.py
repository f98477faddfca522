"""Older / Newer clicks on a page of ``timeline`` or ``jobs``: check, read the page, edit the message.

A click is acknowledged at once, then answered as if the clicker had typed the command again in the
channel of the message (:meth:`~bot.core.conversation.Engine.read`): the policy decides for that
person, so someone who may not read the timeline is told so, privately, and the message stays as it
is. The button's value only says which page; the channel and message come from Slack's ``container``.
An allowed click redraws the same message with ``chat.update``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.conversation import Engine
from bot.core.pages import PageCursor
from bot.slack.listeners.usergroups import UserGroupResolver
from bot.slack.views.pages import view_blocks
from shared.messages import pages as messages

log = logging.getLogger(__name__)


class PageTurner:
    """Answers paging clicks for one engine."""

    def __init__(self, *, engine: Engine, groups: UserGroupResolver | None = None) -> None:
        self._engine = engine
        self._groups = groups

    def on_click(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], client: WebClient
    ) -> None:
        """Older or Newer clicked: redraw the message at the page the button names, if the clicker may."""
        ack()
        container = body.get("container") or {}
        user = str((body.get("user") or {}).get("id") or "")
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        message_ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
        thread_ts = container.get("thread_ts") or (body.get("message") or {}).get("thread_ts")
        if not (user and channel and message_ts):
            return
        cursor = PageCursor.decode(str(action.get("value") or ""))
        if cursor is None:
            self._tell(client, channel=channel, user=user, thread_ts=thread_ts, text=messages.page_gone())
            return
        groups = self._groups.groups_of(user) if self._groups is not None else frozenset()
        reply = self._engine.read(cursor, user=user, user_groups=groups, channel=channel)
        if reply.ephemeral or reply.view is None:
            self._tell(client, channel=channel, user=user, thread_ts=thread_ts, text=reply.text)
            return
        try:
            client.chat_update(
                channel=channel, ts=message_ts, text=reply.text, blocks=view_blocks(reply.view)
            )
        except SlackApiError as error:
            log.info("chat.update of a page failed: %s", error.response.get("error"))

    @staticmethod
    def _tell(client: WebClient, *, channel: str, user: str, thread_ts: Any, text: str) -> None:
        client.chat_postEphemeral(
            channel=channel, user=user, text=text, thread_ts=str(thread_ts) if thread_ts else None
        )
