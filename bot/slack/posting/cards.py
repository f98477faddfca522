"""Job cards: one message per job in the request's thread, kept current with ``chat.update``.

Workers publish job events to a Redis stream; a :class:`CardRenderer` thread reads them and turns
them into a few Slack calls:

- the first event of a job posts its card in the request's thread (``chat.postMessage``);
- later events change the card in memory, and the card is sent with ``chat.update`` at most once
  every ``interval`` seconds, however many events arrived; the gap grows by half after each update,
  up to ``max_interval``, so a long job stays a handful of calls (a 200-pod drain is under ten);
- warnings and plans are also posted as thread replies (step details people must read);
- a document that goes with an event (the whole list of a plan or of ``nodes`` too long to show,
  :mod:`shared.fit`) is shared in the thread as a file once the message is there;
- the final event updates the card at once, then the result is posted in the thread and broadcast to
  the channel (``reply_broadcast``).

Nothing is lost to rate limits or outages: a call Slack refuses for now (429 after the client's own
``Retry-After`` retries, 5xx, network errors) leaves the card's pending state in place, and the next
attempt after ``retry_seconds`` sends the newest state. Updates are coalesced, never dropped.

A finished operation that can be undone (:mod:`shared.undo`) gets an Undo button on its card
(:mod:`bot.slack.views.card_view`); the click itself is :mod:`bot.slack.listeners.card_undo`'s.

With a :class:`~bot.slack.posting.card_store.CardStore`, every card is written through to Redis after each
step and loaded back when an event of a job this process does not hold arrives, or at start for the
cards that still owe Slack something: a restarted bot edits the card already posted (never a second
one) and finishes what was owed. The reader is behind :class:`EventSource`; in the bot it is the
consumer group of :class:`bot.events.GroupEventFeed`, which hands a new process what the old one was
given but had not finished, and what arrived while no bot was running.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.plan_gate import is_request_plan
from bot.slack.metrics import SlackMetrics
from bot.slack.posting.card_store import CardStore, StoredCard
from bot.slack.posting.uploads import upload_to_thread
from bot.slack.views.blocks import job_card_fallback
from bot.slack.views.card_view import card_blocks, card_view
from shared.background import Loop
from shared.fit import attached
from shared.invocation import maybe_invocation
from shared.jobevents import EventKind, JobEvent, LookupAnswer, is_lookup
from shared.messages import jobs as messages
from shared.undo import UNDO_DETAIL, command_text, undo_command

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
    """One job's card: its stored state, plus the pacing this process keeps for it."""

    state: StoredCard
    seen_at: float
    last_sent: float = float("-inf")
    gap: float = 0.0
    """Least time before the next update; starts at the renderer's interval."""
    retry_at: float = float("-inf")


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
        store: CardStore | None = None,
    ) -> None:
        self._client = client
        self._source = source
        self._interval = interval
        self._max_interval = max(interval, max_interval)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._metrics = metrics
        self._store = store
        self._cards: dict[str, _Card] = {}
        self._changed: dict[str, StoredCard] = {}
        """Cards changed since the last save, by job id."""
        self._resumed = False
        self._loop = Loop(
            self._resume_and_step,
            name="job-cards",
            logger=log,
            failure="job cards: reading or rendering failed",  # a broken read must not end cards for good
            after_failure=1.0,
        )

    @property
    def pending(self) -> int:
        """How many cards still have something to tell Slack."""
        return len(self._cards)

    def resume(self) -> None:
        """Take over the stored cards that still owe Slack something (after a restart)."""
        if self._store is None:
            return
        for stored in self._store.unfinished():
            if stored.job_id not in self._cards:
                self._cards[stored.job_id] = self._track(stored)

    def apply(self, event: JobEvent) -> None:
        """Take one event into its card's state (nothing is sent here).

        A job started by no chat message (a scheduled backup without a ``channel``) has no card: its
        events go to the timeline only. Nor has the plan job of an approval request: its plan is shown
        in the request it opens, its failure in the refusal (:mod:`bot.core.plan_gate`).
        """
        if not event.channel or is_request_plan(event):
            return
        card = self._cards.get(event.job_id)
        if card is None:
            stored = self._store.load(event.job_id) if self._store is not None else None
            if stored is None:
                stored = StoredCard(
                    job_id=event.job_id,
                    channel=event.channel,
                    thread_ts=event.thread_ts,
                    kind=event.kind,
                    text=event.text,
                    at=event.at,
                )
            card = self._cards[event.job_id] = self._track(stored)
        state = card.state
        if state.final:
            return
        if state.sent and event.at < state.at:
            return  # a redelivered event older than what Slack already shows
        found = attached(event.details)
        if found is not None:
            state.file_name, state.file_content = found
        if is_lookup(event):
            self._apply_lookup(event, state)
            card.seen_at = self._clock()
            self._changed[event.job_id] = state
            return
        state.kind, state.text, state.at, state.sent = event.kind, event.text, event.at, False
        card.seen_at = self._clock()
        if event.kind in _DETAIL_KINDS:
            state.details.append(event.text)
        if event.kind.is_final:
            state.final = True
            state.result = event.text
            state.undo, state.undo_command = _undo_of(event)
        self._changed[event.job_id] = state

    @staticmethod
    def _apply_lookup(event: JobEvent, state: StoredCard) -> None:
        """A lookup's event into its one message: the answer, or why there is none."""
        if not state.lookup:
            state.lookup, state.text = True, ""
        answer = LookupAnswer(notes=state.notes, latest=state.text)
        if answer.take(event):
            state.text, state.kind, state.at, state.sent = answer.latest, event.kind, event.at, False
        state.final = state.final or event.kind.is_final

    def flush(self) -> None:
        """Send what is due: new cards, thread replies, coalesced updates, final results.

        What the events changed is stored before Slack is called, so an Undo button is never
        visible before the store knows the undo it runs.
        """
        self._save()
        now = self._clock()
        for job_id, card in list(self._cards.items()):
            if now >= card.retry_at and self._flush_card(card, now=now):
                self._changed[job_id] = card.state
            if card.state.done or now - card.seen_at > FORGET_AFTER_SECONDS:
                del self._cards[job_id]
                if not card.state.done and self._store is not None:
                    self._store.forget(job_id)
        self._save()

    def step(self, *, block_ms: int | None = POLL_MS) -> None:
        """Read what arrived (waiting up to ``block_ms``), then flush."""
        for event in self._source.read(block_ms=block_ms):
            self.apply(event)
        self.flush()

    def run(self) -> None:
        """Take over stored cards, then step until :meth:`stop` is called; errors are logged and it goes on."""
        self._loop.run()

    def _resume_and_step(self) -> None:
        if not self._resumed:
            self.resume()
            self._resumed = True
        self.step()

    def start(self) -> None:
        """Run in a daemon thread."""
        self._loop.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the thread started by :meth:`start`."""
        self._loop.stop(timeout=timeout)

    def _track(self, stored: StoredCard) -> _Card:
        return _Card(state=stored, seen_at=self._clock(), gap=self._interval)

    def _save(self) -> None:
        """Write the cards that changed since the last save through to the store."""
        if self._store is not None and self._changed:
            self._store.save(self._changed.values())
        self._changed.clear()

    def _flush_card(self, card: _Card, *, now: float) -> bool:
        """Send what is due for ``card``; True when Slack was told anything."""
        state = card.state
        told = False
        try:
            if state.lookup:
                told = self._flush_answer(card, now=now)
                return self._share_file(state) or told
            if state.ts is None:
                state.ts = self._post_card(state)
                state.sent, told = True, True
                card.last_sent = now
                if self._store is not None:
                    self._store.save([state])  # where the card is, before anything else can fail
            while state.details:
                self._post(state, text=state.details[0], broadcast=False)
                state.details.pop(0)
                told = True
            told = self._share_file(state) or told
            if not state.sent and (state.final or now - card.last_sent >= card.gap):
                self._update_card(state, ts=state.ts)
                state.sent, told = True, True
                card.last_sent = now
                card.gap = min(card.gap * INTERVAL_GROWTH, self._max_interval)
            if state.final and state.sent and state.result is not None:
                self._post(state, text=state.result, broadcast=True)
                state.result, told = None, True
        except SlackApiError as error:
            if not _is_retryable(error):
                log.error("job card %s dropped: Slack said %s", state.job_id, error.response.get("error"))
                state.final, state.sent, state.result = True, True, None
                state.details.clear()
                return True
            self._put_off(card, now=now)
        except OSError as error:  # network trouble: URLError, resets, timeouts
            log.warning("job card %s: %s; retrying", state.job_id, error)
            self._put_off(card, now=now)
        if told:
            state.sent_at = time.time()
        return told

    def _flush_answer(self, card: _Card, *, now: float) -> bool:
        """Post a lookup's answer, or edit it once it changed (paced like a card); True when Slack was told."""
        state = card.state
        if state.sent or not state.answer:
            state.sent = state.sent or state.final
            return False
        if state.ts is None:
            self._count("chat.postMessage")
            answer = self._client.chat_postMessage(
                channel=state.channel,
                thread_ts=state.thread_ts or None,
                text=state.answer,
                unfurl_links=False,
                unfurl_media=False,
            )
            state.ts = str(answer["ts"])
        elif state.final or now - card.last_sent >= card.gap:
            self._count("chat.update")
            self._client.chat_update(channel=state.channel, ts=state.ts, text=state.answer)
            card.gap = min(card.gap * INTERVAL_GROWTH, self._max_interval)
        else:
            return False
        state.sent, card.last_sent, state.sent_at = True, now, time.time()
        return True

    def _share_file(self, state: StoredCard) -> bool:
        """Share the document that goes with the message, once the message is in the thread."""
        if state.file_name is None or state.ts is None:
            return False
        name, content = state.file_name, state.file_content or ""
        self._count("files.completeUploadExternal")
        comment = messages.whole_list_attached(name=name)
        if not upload_to_thread(
            self._client,
            channel=state.channel,
            thread_ts=state.thread_ts or state.ts,
            filename=name,
            content=content,
            comment=comment,
        ):
            log.warning("job card %s: could not share %s", state.job_id, name)
        state.file_name = state.file_content = None
        return True

    def _put_off(self, card: _Card, *, now: float) -> None:
        card.retry_at = now + self._retry_seconds
        if self._metrics is not None:
            self._metrics.card_retries.inc()

    def _post_card(self, card: StoredCard) -> str:
        self._count("chat.postMessage")
        answer = self._client.chat_postMessage(
            channel=card.channel,
            thread_ts=card.thread_ts or None,
            text=job_card_fallback(card_view(card)),
            blocks=card_blocks(card),
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(answer["ts"])

    def _update_card(self, card: StoredCard, *, ts: str) -> None:
        self._count("chat.update")
        self._client.chat_update(
            channel=card.channel, ts=ts, text=job_card_fallback(card_view(card)), blocks=card_blocks(card)
        )

    def _post(self, card: StoredCard, *, text: str, broadcast: bool) -> None:
        self._count("chat.postMessage")
        self._client.chat_postMessage(
            channel=card.channel,
            thread_ts=card.thread_ts or None,
            text=text,
            reply_broadcast=broadcast and bool(card.thread_ts),
            unfurl_links=False,
            unfurl_media=False,
        )

    def _count(self, method: str) -> None:
        if self._metrics is not None:
            self._metrics.card_calls.labels(method=method).inc()


def _undo_of(event: JobEvent) -> tuple[str | None, dict[str, Any] | None]:
    """The undo a finished job offers, in words and as data: only a success, as its event carries it."""
    offered = maybe_invocation(event.details.get(UNDO_DETAIL)) if event.kind is EventKind.SUCCEEDED else None
    undo = undo_command(offered) if offered is not None else None
    if offered is None or undo is None:
        return None, None
    return command_text(undo), offered.to_json()


def _is_retryable(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", 200)
    return status == 429 or status >= 500 or error.response.get("error") in _RETRYABLE_ERRORS
