"""Approval requests kept in Redis, where each answer is one atomic step of the pure state machine.

Many people may click or type ``approve`` at the same instant, from several bot processes. Every
change goes through :meth:`ApprovalStore._transition`: WATCH the request's key, read it, let
:mod:`bot.core.approvals` compute the answer, and write it back in MULTI/EXEC. If anyone else wrote
the request in between, EXEC fails and the answer is computed again from the new state, so exactly one
answer moves a request out of ``pending`` and an approval is never counted twice.

Keys (JSON values, so a request survives a Redis restart with AOF on)::

    chatops:approval:<id>                     the request
    chatops:approvals:thread:<channel>:<ts>   pending requests of a thread (sorted set by creation time)
    chatops:approvals:pending                 every pending request (sorted set by deadline)

Decided requests are kept for ``keep_decided_seconds`` for reference; the timeline keeps the history.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from typing import cast

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import WatchError

from bot.core import approvals, plan_gate, rechecks, stale_requests
from bot.core.approvals import Answer, ApprovalRequest
from bot.core.policy import Policy
from shared.job_signing import approval_record_key
from shared.jobevents import JobEvent

PENDING_KEY = "chatops:approvals:pending"
"""Sorted set of pending request ids, scored by deadline, for :meth:`ApprovalStore.expire_due`."""

DEFAULT_KEEP_DECIDED_SECONDS = 7 * 24 * 3600
"""How long a decided request stays readable."""


def request_key(approval_id: str) -> str:
    """The key holding one request."""
    return approval_record_key(approval_id)


def thread_key(*, channel: str, thread_ts: str) -> str:
    """The key indexing the pending requests of one chat thread."""
    return f"chatops:approvals:thread:{channel}:{thread_ts}"


Step = Callable[[ApprovalRequest, float], Answer]
"""One transition: the stored request and the time now, to the answer."""


class ApprovalStore:
    """Create, read and answer approval requests; every answer is atomic across processes."""

    def __init__(
        self,
        redis: Redis,
        *,
        clock: Callable[[], float] = time.time,
        keep_decided_seconds: int = DEFAULT_KEEP_DECIDED_SECONDS,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._keep_decided_seconds = keep_decided_seconds

    def now(self) -> float:
        """The store's clock (unix seconds), to open requests with."""
        return self._clock()

    def create(self, request: ApprovalRequest) -> ApprovalRequest:
        """Store a new request and index it; a request with the same id already stored is returned instead.

        Creating twice (a redelivered chat message) therefore never resets the votes of the first.
        """
        key = request_key(request.approval_id)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                    existing = pipe.get(key)
                    if existing is not None:
                        pipe.unwatch()
                        return _decode(existing)
                    pipe.multi()
                    pipe.set(key, _encode(request))
                    if request.state.is_live:
                        self._index(pipe, request)
                    pipe.execute()
                    return request
                except WatchError:
                    continue

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """The request as stored, or ``None`` if unknown (or forgotten after its retention)."""
        raw = self._redis.get(request_key(approval_id))
        return None if raw is None else _decode(raw)

    def pending_in_thread(self, *, channel: str, thread_ts: str) -> list[ApprovalRequest]:
        """The undecided requests of a thread (pending, or still planning), newest first.

        What a typed ``approve`` there answers (one still planning refuses it until its plan is shown).
        """
        ids = [
            _text(member)
            for member in cast(
                "list[bytes]", self._redis.zrevrange(thread_key(channel=channel, thread_ts=thread_ts), 0, -1)
            )
        ]
        if not ids:
            return []
        found = self._redis.mget([request_key(approval_id) for approval_id in ids])
        requests = [_decode(raw) for raw in found if raw is not None]
        return [request for request in requests if request.state.is_live]

    def pending(self) -> list[ApprovalRequest]:
        """Every pending request, the soonest to expire first (the App Home lists them per approver)."""
        return [request for request in self._indexed() if request.state.is_open]

    def undecided(self) -> list[ApprovalRequest]:
        """Every request not yet decided: pending, or still waiting for its plan (what a person has asked)."""
        return [request for request in self._indexed() if request.state.is_live]

    def _indexed(self) -> list[ApprovalRequest]:
        ids = [_text(member) for member in cast("list[bytes]", self._redis.zrange(PENDING_KEY, 0, -1))]
        if not ids:
            return []
        found = self._redis.mget([request_key(approval_id) for approval_id in ids])
        return [_decode(raw) for raw in found if raw is not None]

    def approve(
        self, approval_id: str, *, policy: Policy, user: str, user_groups: frozenset[str] = frozenset()
    ) -> Answer | None:
        """Record ``user``'s approval; ``None`` if there is no such request."""
        return self._transition(
            approval_id,
            lambda request, now: approvals.approve(
                request, policy=policy, user=user, user_groups=user_groups, now=now
            ),
        )

    def deny(
        self,
        approval_id: str,
        *,
        policy: Policy,
        user: str,
        user_groups: frozenset[str] = frozenset(),
        reason: str | None = None,
    ) -> Answer | None:
        """Record ``user``'s refusal, with an optional reason; ``None`` if there is no such request."""
        return self._transition(
            approval_id,
            lambda request, now: approvals.deny(
                request, policy=policy, user=user, user_groups=user_groups, reason=reason, now=now
            ),
        )

    def cancel(self, approval_id: str, *, user: str) -> Answer | None:
        """Withdraw a pending request (its requester only); ``None`` if there is no such request."""
        return self._transition(
            approval_id, lambda request, now: approvals.cancel(request, user=user, now=now)
        )

    def verify_plan(self, approval_id: str, *, observed: Mapping[str, str]) -> Answer | None:
        """Void the approval if the targets' ``resourceVersion`` moved since the plan; ``None`` if unknown."""
        return self._transition(
            approval_id, lambda request, now: approvals.verify_plan(request, observed=observed, now=now)
        )

    def plan_reported(self, approval_id: str, event: JobEvent) -> Answer | None:
        """Open (plan shown) or refuse (plan failed) a request still planning; ``None`` if unknown."""
        return self._transition(
            approval_id, lambda request, now: plan_gate.plan_outcome(request, event, now=now)
        )

    def recheck_reported(self, approval_id: str, event: JobEvent) -> Answer | None:
        """Void a pending request whose re-check found its plan moved or failing; ``None`` if unknown."""
        return self._transition(
            approval_id, lambda request, now: rechecks.recheck_outcome(request, event, now=now)
        )

    def void_for(self, approval_id: str, *, changed: Collection[str], by_job: str) -> Answer | None:
        """Void a pending request whose plan read one of ``changed``; ``None`` if unknown."""
        return self._transition(
            approval_id,
            lambda request, now: stale_requests.void_for(request, changed=changed, by_job=by_job, now=now),
        )

    def expire_due(self) -> list[Answer]:
        """Expire every pending request past its deadline; returns one answer per request expired now."""
        due = cast("list[bytes]", self._redis.zrangebyscore(PENDING_KEY, "-inf", self._clock()))
        expired: list[Answer] = []
        for member in due:
            answer = self._transition(_text(member), lambda request, now: approvals.expire(request, now=now))
            if answer is not None and answer.decided:
                expired.append(answer)
        return expired

    def _transition(self, approval_id: str, step: Step) -> Answer | None:
        key = request_key(approval_id)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                    raw = pipe.get(key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    answer = step(_decode(raw), self._clock())
                    if not answer.changed:
                        pipe.unwatch()
                        return answer
                    pipe.multi()
                    pipe.set(key, _encode(answer.request))
                    if not answer.request.state.is_live:
                        self._unindex(pipe, answer.request)
                        pipe.expire(key, self._keep_decided_seconds)
                    pipe.execute()
                    return answer
                except WatchError:
                    continue

    @staticmethod
    def _index(pipe: Pipeline, request: ApprovalRequest) -> None:
        thread = thread_key(channel=request.channel, thread_ts=request.thread_ts)
        pipe.zadd(thread, {request.approval_id: request.created_at})
        pipe.zadd(PENDING_KEY, {request.approval_id: request.expires_at})

    @staticmethod
    def _unindex(pipe: Pipeline, request: ApprovalRequest) -> None:
        pipe.zrem(thread_key(channel=request.channel, thread_ts=request.thread_ts), request.approval_id)
        pipe.zrem(PENDING_KEY, request.approval_id)


def _encode(request: ApprovalRequest) -> str:
    return json.dumps(request.to_json(), sort_keys=True)


def _decode(raw: bytes | str) -> ApprovalRequest:
    return ApprovalRequest.from_json(json.loads(raw))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
