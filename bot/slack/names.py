"""People's names for the incident page: Slack user ids turned into the names people know, via ``users.info``.

Names are looked up once per user and kept (at most :data:`MAX_NAMES`); a failed lookup shows the
id, and is tried again on a later page.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

MAX_NAMES = 10_000
"""More people than a workspace's incidents involve; past it the oldest names are forgotten."""


class SlackNames:
    """A :data:`bot.web.view.Names` reading Slack: the display name, else the real name, else the handle."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, user: str) -> str:
        with self._lock:
            known = self._known.get(user)
        if known is not None:
            return known
        try:
            person = self._client.users_info(user=user).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info %s failed: %s", user, error.response.get("error"))
            return user
        profile = person.get("profile") or {}
        name = str(profile.get("display_name") or profile.get("real_name") or person.get("name") or user)
        with self._lock:
            if len(self._known) >= MAX_NAMES:
                self._known.pop(next(iter(self._known)))
            self._known[user] = name
        return name
