"""Pushing the App Home tab when something changes for a person, at most once per person every few seconds.

The tab is drawn when it is opened (:mod:`bot.slack.views.home`), but what it shows changes under it: an
approval request someone may decide is opened or decided, a job they asked for finishes. Then their
view is published again (``views.publish``). A storm of events (a 200-pod drain, a burst of votes)
must not become a storm of calls, so publishing is debounced per person: the first change is
published at once, later ones wait until :data:`DEFAULT_INTERVAL_SECONDS` have passed since that
person's last publish, and however many changes arrive meanwhile, one publish shows them all.

:class:`Debouncer` is the rule, on a clock passed in; :class:`HomePusher` runs it on a thread.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.approvals import ApprovalRequest
from bot.core.policy import Policy, approver_user_ids, is_user_id
from bot.slack.views.home import HomePublisher
from shared.jobevents import JobEvent

DEFAULT_INTERVAL_SECONDS = 3.0
"""Least time between two publishes of one person's tab."""

log = logging.getLogger(__name__)


class Debouncer:
    """Which people's tabs are due: at most one publish per person per ``interval``, none lost."""

    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._due: dict[str, float] = {}

    def ask(self, user: str, *, now: float) -> None:
        """``user``'s tab changed at ``now``: due at once, or when their last publish is ``interval`` old."""
        if user not in self._due:
            self._due[user] = max(now, self._last.get(user, -math.inf) + self._interval)

    def take_due(self, *, now: float) -> list[str]:
        """The people to publish for now (each counts as published at ``now``)."""
        due = sorted(user for user, at in self._due.items() if at <= now)
        for user in due:
            del self._due[user]
            self._last[user] = now
        return due

    def next_due(self) -> float | None:
        """When the next publish is due; None when nothing waits."""
        return min(self._due.values(), default=None)


class HomePusher:
    """Republishes the Home tab of the people a change concerns, debounced, from its own thread."""

    def __init__(
        self,
        *,
        publisher: HomePublisher,
        client: WebClient,
        policy: Policy,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publisher = publisher
        self._client = client
        self._policy = policy
        self._clock = clock
        self._debouncer = Debouncer(interval=interval)
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def approval_changed(self, request: ApprovalRequest) -> None:
        """A request was opened, counted or decided: push its approvers' tabs, and its requester's."""
        self.push({request.requester, *approver_user_ids(self._policy, request.requirement)})

    def job_events(self, events: Iterable[JobEvent]) -> None:
        """Jobs reported; push the tab of whoever asked for each one that finished."""
        self.push({event.user for event in events if event.kind.is_final and event.user})

    def push(self, users: Iterable[str]) -> None:
        """Publish these people's tabs as soon as the debounce allows."""
        people = [user for user in users if is_user_id(user)]
        if not people:
            return
        with self._changed:
            for user in people:
                self._debouncer.ask(user, now=self._clock())
            self._changed.notify()

    def start(self) -> None:
        """Start publishing on a background thread."""
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="home-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (what is still waiting is dropped: the tab is drawn again when opened)."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._changed:
                due = self._wait_for_due()
                if due is None:
                    return
            for user in due:
                self._publish(user)

    def _wait_for_due(self) -> list[str] | None:
        """Wait (holding the condition) until someone is due; None once stopping."""
        while not self._stopping:
            now = self._clock()
            due = self._debouncer.take_due(now=now)
            if due:
                return due
            next_due = self._debouncer.next_due()
            self._changed.wait(None if next_due is None else max(0.0, next_due - now))
        return None

    def _publish(self, user: str) -> None:
        try:
            self._publisher.publish(self._client, user=user, channel="")
        except SlackApiError as error:
            log.info("views.publish for %s failed: %s", user, error.response.get("error"))
        except Exception:  # a Redis hiccup must not stop later pushes
            log.exception("home tab of %s: could not be drawn", user)
