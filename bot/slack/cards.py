"""Job cards: one message per job in the request's thread, kept current with ``chat.update``.

Workers publish job events to a Redis stream; a :class:`CardRenderer` thread reads them and turns
them into a few Slack calls:

- the first event of a job posts its card in the request's thread (``chat.postMessage``);
- later events change the card in memory, and the card is sent with ``chat.update`` at most once
  every ``interval`` seconds, however many events arrived; the gap grows by half after each update,
  up to ``max_interval``, so a long job stays a handful of calls (a 200-pod drain is under ten);
- warnings and plans are also posted as thread replies (step details people must read);
- the final event updates the card at once, then the result is posted in the thread and broadcast to
  the channel (``reply_broadcast``).

Nothing is lost to rate limits or outages: a call Slack refuses for now (429 after the client's own
``Retry-After`` retries, 5xx, network errors) leaves the card's pending state in place, and the next
attempt after ``retry_seconds`` sends the newest state. Updates are coalesced, never dropped.

The reader is behind :class:`EventSource`, so a consumer-group reader can replace
:class:`bot.events.EventFeed` without touching the rendering.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.jobevents import EventKind, JobEvent
from bot.slack.blocks import CardView, job_card, job_card_fallback
from bot.slack.metrics import SlackMetrics

DEFAULT_INTERVAL_SECONDS = 3.0
"""Least time between two updates of one card (Slack's chat.update is Tier 3, ~50 a minute)."""

DEFAULT_MAX_INTERVAL_SECONDS = 30.0
"""Longest gap between two updates of a busy card, however long the job runs."""

INTERVAL_GROWTH = 1.5
"""Each update of a card makes the wait before its next one this much longer (up to the maximum)."""

DEFAULT_RETRY_SECONDS = 2.0
"""How long a card waits after Slack refused a call before trying again."""

FORGET_AFTER_SECONDS = 86_400.0
"""Cards of jobs that went silent without a final event are forgotten after this long."""

POLL_MS = 200
"""How long one read of the stream waits; bounds how late a due update or a stop request is."""

_RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_DETAIL_KINDS = frozenset({EventKind.WARNING, EventKind.PLAN})

log = logging.getLogger(__name__)


class EventSource(Protocol):
    """Where job events come from: each read returns what arrived since the previous one."""

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """New events, waiting up to ``block_ms`` for the first (None: don't wait)."""


@dataclasses.dataclass
class _Card:
    """One job's card: what it shows now, and what Slack has not been told yet."""

    channel: str
    thread_ts: str
    view: CardView
    seen_at: float
    ts: str | None = None
    """The card message's ts once posted."""
    dirty: bool = True
    """The view has changed since Slack last saw it."""
    last_sent: float = float("-inf")
    gap: float = 0.0
    """Least time before the next update; starts at the renderer's interval."""
    retry_at: float = float("-inf")
    details: collections.deque[str] = dataclasses.field(default_factory=collections.deque)
    """Thread replies still to post, oldest first."""
    result: str | None = None
    """The final sentence still to broadcast."""
    final: bool = False

    @property
    def done(self) -> bool:
        """True once the final state and every reply reached Slack."""
        return self.final and not self.dirty and self.result is None and not self.details


class CardRenderer:
    """Reads job events and keeps each job's card current in Slack."""

    def __init__(
        self,
        *,
        client: WebClient,
        source: EventSource,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        max_interval: float = DEFAULT_MAX_INTERVAL_SECONDS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        metrics: SlackMetrics | None = None,
    ) -> None:
        self._client = client
        self._source = source
        self._interval = interval
        self._max_interval = max(interval, max_interval)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._metrics = metrics
        self._cards: dict[str, _Card] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many cards still have something to tell Slack."""
        return len(self._cards)

    def apply(self, event: JobEvent) -> None:
        """Take one event into its card's state (nothing is sent here)."""
        view = CardView(job_id=event.job_id, kind=event.kind, text=event.text, at=event.at)
        card = self._cards.get(event.job_id)
        if card is None:
            card = _Card(
                channel=event.channel,
                thread_ts=event.thread_ts,
                view=view,
                seen_at=self._clock(),
                gap=self._interval,
            )
            self._cards[event.job_id] = card
        elif card.final:
            return
        card.view = view
        card.dirty = True
        card.seen_at = self._clock()
        if event.kind in _DETAIL_KINDS:
            card.details.append(event.text)
        if event.kind.is_final:
            card.final = True
            card.result = event.text

    def flush(self) -> None:
        """Send what is due: new cards, thread replies, coalesced updates, final results."""
        now = self._clock()
        for job_id, card in list(self._cards.items()):
            if now >= card.retry_at:
                self._flush_card(card, now=now)
            if card.done or now - card.seen_at > FORGET_AFTER_SECONDS:
                del self._cards[job_id]

    def step(self, *, block_ms: int | None = POLL_MS) -> None:
        """Read what arrived (waiting up to ``block_ms``), then flush."""
        for event in self._source.read(block_ms=block_ms):
            self.apply(event)
        self.flush()

    def run(self) -> None:
        """Step until :meth:`stop` is called; errors are logged and the loop goes on."""
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # a broken stream read must not end job cards for good
                log.exception("job cards: reading or rendering failed; retrying")
                self._stop.wait(1.0)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="job-cards", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the thread started by :meth:`start`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _flush_card(self, card: _Card, *, now: float) -> None:
        try:
            if card.ts is None:
                card.ts = self._post_card(card)
                card.dirty = False
                card.last_sent = now
            while card.details:
                self._post(card, text=card.details[0], broadcast=False)
                card.details.popleft()
            if card.dirty and (card.final or now - card.last_sent >= card.gap):
                self._update_card(card, ts=card.ts)
                card.dirty = False
                card.last_sent = now
                card.gap = min(card.gap * INTERVAL_GROWTH, self._max_interval)
            if card.final and not card.dirty and card.result is not None:
                self._post(card, text=card.result, broadcast=True)
                card.result = None
        except SlackApiError as error:
            if not _is_retryable(error):
                log.error("job card %s dropped: Slack said %s", card.view.job_id, error.response.get("error"))
                card.final, card.dirty, card.result = True, False, None
                card.details.clear()
                return
            self._put_off(card, now=now)
        except OSError as error:  # network trouble: URLError, resets, timeouts
            log.warning("job card %s: %s; retrying", card.view.job_id, error)
            self._put_off(card, now=now)

    def _put_off(self, card: _Card, *, now: float) -> None:
        card.retry_at = now + self._retry_seconds
        if self._metrics is not None:
            self._metrics.card_retries.inc()

    def _post_card(self, card: _Card) -> str:
        self._count("chat.postMessage")
        answer = self._client.chat_postMessage(
            channel=card.channel,
            thread_ts=card.thread_ts,
            text=job_card_fallback(card.view),
            blocks=job_card(card.view),
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(answer["ts"])

    def _update_card(self, card: _Card, *, ts: str) -> None:
        self._count("chat.update")
        self._client.chat_update(
            channel=card.channel,
            ts=ts,
            text=job_card_fallback(card.view),
            blocks=job_card(card.view),
        )

    def _post(self, card: _Card, *, text: str, broadcast: bool) -> None:
        self._count("chat.postMessage")
        self._client.chat_postMessage(
            channel=card.channel,
            thread_ts=card.thread_ts,
            text=text,
            reply_broadcast=broadcast,
            unfurl_links=False,
            unfurl_media=False,
        )

    def _count(self, method: str) -> None:
        if self._metrics is not None:
            self._metrics.card_calls.labels(method=method).inc()


def _is_retryable(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", 200)
    return status == 429 or status >= 500 or error.response.get("error") in _RETRYABLE_ERRORS
