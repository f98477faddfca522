"""Which of the policy's Slack user groups (``S…``) a person belongs to, asked of Slack and cached.

The policy may name user groups in ``allow`` and ``approvers``; the engine needs, for each message,
the groups its author is in. ``usergroups.users.list`` is a Tier 2 method (about 20 calls a minute),
so members are cached per group for a few minutes. When Slack cannot answer, the last known members
are used, or none (the policy then denies, which is the safe side).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

DEFAULT_TTL_SECONDS = 300.0

log = logging.getLogger(__name__)


class UserGroupResolver:
    """Resolves membership of a fixed set of user groups, with a per-group cache."""

    def __init__(
        self,
        client: WebClient,
        group_ids: Iterable[str],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._group_ids = tuple(sorted(set(group_ids)))
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def groups_of(self, user: str) -> frozenset[str]:
        """The policy's user groups ``user`` is a member of."""
        return frozenset(group for group in self._group_ids if user in self._members(group))

    def _members(self, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group)
        if cached is not None and now - cached[0] < self._ttl_seconds:
            return cached[1]
        try:
            answer = self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as error:
            log.warning("usergroups.users.list %s failed: %s", group, error.response.get("error"))
            return cached[1] if cached is not None else frozenset()
        members = frozenset(str(user) for user in answer.get("users") or [])
        with self._lock:
            self._cache[group] = (now, members)
        return members
