"""Running the deliveries of the inbox through the Bolt app, at least once each, none lost.

The runner reads :data:`~bot.slack.ingress.inbox.INBOX_STREAM` through a consumer group and hands each
delivery to the Bolt app as the request Slack sent (the front has verified its signature already;
the app here runs its listeners before returning, so "returned" means "done"). A delivery leaves the
stream only once handled. On start a runner first finishes what it had claimed before it stopped,
and every so often it takes over deliveries another runner claimed and left unfinished for a minute
(that runner died). A delivery handled twice that way is harmless: the listeners claim each
message once (:mod:`bot.slack.ingress.dedupe`) and job ids are derived from the message.

A listener that fails is tried again (its claim on the message is released when it fails), up to
:data:`ATTEMPTS` times; then the delivery is dropped with an error in the log naming it, and
``on_dropped`` is told (with the body as Bolt parsed it), to let the person who sent it know (never
a traceback).
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App, BoltRequest
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt, wait_incrementing

from bot.slack.ingress.inbox import (
    HEARTBEAT_SECONDS,
    HEARTBEATS,
    INBOX_STREAM,
    RUNNER_GROUP,
    Delivery,
    delivery_from_fields,
)
from bot.stream_groups import ensure_group, recreating
from shared.background import Loop

DELIVERY_CONTEXT_KEY = "inbox_delivery"
"""The listeners find the inbox id of the delivery they run under this key of Bolt's context."""
ATTEMPTS = 3
CLAIM_IDLE_MS = 60_000
"""A delivery claimed this long ago and not finished belongs to a runner that died."""
RUNNER_THREADS = 16
"""Deliveries handled at once; each mostly waits on Slack or Redis."""
LIVENESS_SECONDS = 3 * HEARTBEAT_SECONDS
"""A runner whose reading loop has not completed a round this long is not alive (its ``/healthz`` fails)."""

log = logging.getLogger(__name__)

Handled = Callable[[Delivery, int], None]
"""Told of each delivery done, with its final HTTP-like status (for metrics and tests)."""


def default_consumer_name() -> str:
    """The runner's name in the consumer group: the host's (a pod's name), kept across restarts.

    A runner restarted under the same name finds what its predecessor left unfinished at once
    (instead of after :data:`CLAIM_IDLE_MS`). ``chatops bot`` names its runner child after itself.
    """
    return socket.gethostname()


class InboxRunner:
    """A background thread feeding the inbox to ``app``, a pool of threads running the listeners."""

    def __init__(
        self,
        connection: Redis,
        app: App,
        *,
        consumer: str | None = None,
        stream: str = INBOX_STREAM,
        threads: int = RUNNER_THREADS,
        claim_idle_ms: int = CLAIM_IDLE_MS,
        block_ms: int = 1000,
        on_handled: Handled | None = None,
        on_dropped: Callable[[Delivery, Mapping[str, Any]], None] | None = None,
    ) -> None:
        self._redis = connection
        self._app = app
        self.consumer = consumer or default_consumer_name()
        self._stream = stream
        self._threads = threads
        self._claim_idle_ms = claim_idle_ms
        self._block_ms = block_ms
        self._on_handled = on_handled
        self._on_dropped = on_dropped
        self._slots = threading.BoundedSemaphore(threads)
        self._in_hand: set[str] = set()
        self._in_hand_lock = threading.Lock()
        self._loop = Loop(
            self._round,
            name="slack-inbox-reader",
            logger=log,
            failure="the Slack inbox is unreachable",
            after_failure=1.0,
            expected=(RedisError,),
        )
        self._stop = self._loop.stopping
        self._pool: ThreadPoolExecutor | None = None
        self._last_round = -math.inf
        self._started = False
        self._last_beat = self._last_claim = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Join the group and start reading in a background thread."""
        self._ensure_group()
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="slack-inbox")
        self._started = False
        self._loop.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop reading and wait for the deliveries in hand to finish."""
        self._loop.stop(timeout=timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with contextlib.suppress(RedisError):
            self._redis.zrem(HEARTBEATS, self.consumer)

    def alive(self, *, within: float = LIVENESS_SECONDS) -> bool:
        """Whether the reader runs and completed a round (a read, Redis answering) in the last ``within`` s.

        What the runner's ``/healthz`` says: a runner that cannot read the inbox (Redis away, or its
        group lost and not recreated) answers no deliveries, whatever its TCP port says.
        """
        return self._loop.running and time.monotonic() - self._last_round < within

    def run(self) -> None:
        """Read until stopped: own leftovers first, then new deliveries, reclaiming dead runners' ones."""
        self._loop.run()

    def _round(self) -> None:
        if not self._started:  # also when Redis is away at start: the reader waits for it
            self._ensure_group()
            self._beat()
            self._submit_leftovers()
            self._started = True
            self._last_beat = self._last_claim = time.monotonic()
        self._submit_all(self._read(">", block=True))
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._beat()
            self._last_beat = now
        if now - self._last_claim >= self._claim_idle_ms / 2000:
            self._submit_all(self._claim_abandoned())
            self._last_claim = now
        self._last_round = time.monotonic()

    def _submit_leftovers(self) -> None:
        """What this runner's name had claimed and not finished (a predecessor's), all of it."""
        after = "0"
        while not self._stop.is_set():
            leftovers = self._read(after)
            if not leftovers:
                return
            self._submit_all(leftovers)
            after = leftovers[-1].id

    # -- reading -----------------------------------------------------------------------------------

    def _ensure_group(self) -> None:
        ensure_group(self._redis, self._stream, RUNNER_GROUP, start="0")

    def _read(self, start: str, *, block: bool = False) -> list[Delivery]:
        answer: Any = recreating(
            lambda: self._redis.xreadgroup(
                RUNNER_GROUP,
                self.consumer,
                {self._stream: start},
                count=self._threads,
                block=self._block_ms if block else None,
            ),
            redis=self._redis,
            stream=self._stream,
            group=RUNNER_GROUP,
        )
        deliveries: list[Delivery] = []
        for _stream, entries in answer or []:
            deliveries.extend(
                delivery_from_fields(entry_id, fields) for entry_id, fields in entries if fields
            )
        return deliveries

    def _claim_abandoned(self) -> list[Delivery]:
        answer: Any = recreating(
            lambda: self._redis.xautoclaim(
                self._stream, RUNNER_GROUP, self.consumer, min_idle_time=self._claim_idle_ms, count=100
            ),
            redis=self._redis,
            stream=self._stream,
            group=RUNNER_GROUP,
        )
        entries = answer[1] if len(answer) > 1 else []
        return [delivery_from_fields(entry_id, fields) for entry_id, fields in entries if fields]

    def _beat(self) -> None:
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(HEARTBEATS, {self.consumer: now})
        pipe.zremrangebyscore(HEARTBEATS, "-inf", now - 3 * HEARTBEAT_SECONDS)
        pipe.execute()

    # -- handling ----------------------------------------------------------------------------------

    def _submit_all(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            with self._in_hand_lock:
                if delivery.id in self._in_hand:  # a slow one this runner reclaimed from itself
                    continue
                self._in_hand.add(delivery.id)
            self._slots.acquire()
            assert self._pool is not None, "start() makes the pool"
            self._pool.submit(self._handle_and_release, delivery)

    def _handle_and_release(self, delivery: Delivery) -> None:
        try:
            self.handle(delivery)
        except Exception:  # the reader must go on whatever one delivery does
            log.exception("Slack delivery %s could not be handled", delivery.id)
        finally:
            with self._in_hand_lock:
                self._in_hand.discard(delivery.id)
            self._slots.release()

    def handle(self, delivery: Delivery) -> int:
        """Run one delivery through the app, trying a failed one again; the final status."""

        parsed: dict[str, Any] = {}
        """The body as Bolt parsed it for the latest attempt (for ``on_dropped``)."""

        def dispatch() -> int:
            request = BoltRequest(
                body=delivery.body,
                headers=dict(delivery.headers),
                context={DELIVERY_CONTEXT_KEY: delivery.id},
            )
            parsed.clear()
            parsed.update(request.body)
            return self._app.dispatch(request).status

        def failed(state: RetryCallState) -> None:
            log.warning(
                "Slack delivery %s failed (attempt %d of %d)", delivery.id, state.attempt_number, ATTEMPTS
            )

        status: int = Retrying(
            retry=retry_if_result(lambda status: status >= 500),
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_incrementing(start=0.2, increment=0.2),
            sleep=self._pause,
            before_sleep=failed,
            retry_error_callback=_last_status,
        )(dispatch)
        if status >= 500:
            log.error("Slack delivery %s dropped after %d attempts", delivery.id, ATTEMPTS)
            if self._on_dropped is not None:
                self._on_dropped(delivery, parsed)
        self._done(delivery)
        if self._on_handled is not None:
            self._on_handled(delivery, status)
        return status

    def _pause(self, seconds: float) -> None:
        """Wait between attempts, but no longer once the runner is stopping."""
        self._stop.wait(seconds)

    def _done(self, delivery: Delivery) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.xack(self._stream, RUNNER_GROUP, delivery.id)
        pipe.xdel(self._stream, delivery.id)
        pipe.execute()


def _last_status(state: RetryCallState) -> int:
    """The status of the last attempt, once they are all used up."""
    assert state.outcome is not None
    status: int = state.outcome.result()
    return status
