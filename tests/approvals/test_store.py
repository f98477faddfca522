"""Approval requests on a real Redis: every rule holds, one decision wins, and a restart loses nothing."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis

from bot.approval_store import ApprovalStore, request_key
from bot.core import approvals
from bot.core.approvals import Answer, ApprovalRequest, ApprovalState, Outcome
from bot.core.policy import ApprovalRequirement, Group, Policy, Rule
from tests.support.clocks import ManualClock
from tests.support.drills import Family, Tally
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

APPROVERS = tuple(f"U0SRE{index:02d}" for index in range(20))
POLICY = Policy(
    rules=(Rule(commands=frozenset({"drain"}), allow=("*",)),),
    groups=(Group("sre", frozenset(APPROVERS)),),
)
T0 = 1_800_000_000.0


@pytest.fixture(name="redis")
def fixture_redis(redis_url: str) -> Iterator[Redis]:
    """A client of the emptied test database."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    """A hand-moved clock starting at T0."""
    return ManualClock(T0)


def opened(
    store: ApprovalStore, *, count: int = 2, approval_id: str = "apr-1", thread: str = "100.1"
) -> ApprovalRequest:
    """Create a pending ``drain node/n1`` request by U0DAVE needing ``count`` approvals from ``sre``."""
    return store.create(
        approvals.new_request(
            approval_id=approval_id,
            job_id="job-" + approval_id.removeprefix("apr-"),
            requester="U0DAVE",
            channel="C1",
            thread_ts=thread,
            cluster="prod",
            description="drain node/n1",
            requirement=ApprovalRequirement(("sre",), count, 600),
            now=store.now(),
            witnesses={"node/n1": "41"},
        )
    )


def test_a_created_request_is_found_by_id_and_by_its_thread(redis: Redis, clock: ManualClock) -> None:
    """A typed approve in the thread finds the request there."""
    store = ApprovalStore(redis, clock=clock)
    request = opened(store)
    assert store.get("apr-1") == request
    assert store.pending_in_thread(channel="C1", thread_ts="100.1") == [request]
    assert store.pending_in_thread(channel="C1", thread_ts="999.9") == []


def test_pending_lists_only_open_requests_soonest_to_expire_first(redis: Redis, clock: ManualClock) -> None:
    """Decided requests leave the list; the rest are ordered by their deadline."""
    store = ApprovalStore(redis, clock=clock)
    first = opened(store, approval_id="apr-1", thread="100.1")
    clock.now += 10
    second = opened(store, approval_id="apr-2", thread="100.2")
    clock.now += 10
    opened(store, approval_id="apr-3", thread="100.3")
    store.deny("apr-3", policy=POLICY, user=APPROVERS[0], reason="no")
    assert [request.approval_id for request in store.pending()] == [first.approval_id, second.approval_id]


def test_creating_the_same_request_again_keeps_the_first(redis: Redis, clock: ManualClock) -> None:
    """A redelivered message does not reset the votes already given."""
    store = ApprovalStore(redis, clock=clock)
    opened(store)
    store.approve("apr-1", policy=POLICY, user=APPROVERS[0])
    again = opened(store)
    assert again.approved_by == (APPROVERS[0],)


def test_self_approval_and_outsiders_are_refused_and_nothing_is_stored(
    redis: Redis, clock: ManualClock
) -> None:
    """Refused answers leave the stored request untouched."""
    store = ApprovalStore(redis, clock=clock)
    request = opened(store)
    mine = store.approve("apr-1", policy=POLICY, user="U0DAVE")
    outsider = store.approve("apr-1", policy=POLICY, user="U0EVE")
    assert mine is not None and outsider is not None
    assert (mine.outcome, outsider.outcome) == (Outcome.SELF_APPROVAL, Outcome.NOT_APPROVER)
    assert store.get("apr-1") == request


def test_two_of_three_needs_two_different_people_in_redis(redis: Redis, clock: ManualClock) -> None:
    """The same approver twice counts once; a second person decides."""
    store = ApprovalStore(redis, clock=clock)
    opened(store)
    outcomes = [
        answer.outcome
        for answer in (
            store.approve("apr-1", policy=POLICY, user=APPROVERS[0]),
            store.approve("apr-1", policy=POLICY, user=APPROVERS[0]),
            store.approve("apr-1", policy=POLICY, user=APPROVERS[1]),
        )
        if answer is not None
    ]
    assert outcomes == [Outcome.RECORDED, Outcome.ALREADY_COUNTED, Outcome.APPROVED]
    stored = store.get("apr-1")
    assert stored is not None
    assert stored.state is ApprovalState.APPROVED
    assert store.pending_in_thread(channel="C1", thread_ts="100.1") == []


def test_a_request_past_its_deadline_expires_and_stays_expired(redis: Redis, clock: ManualClock) -> None:
    """The sweeper expires due requests once; later approvals change nothing."""
    store = ApprovalStore(redis, clock=clock)
    opened(store, approval_id="apr-1")
    clock.now += 300
    opened(store, approval_id="apr-2")
    clock.now += 301
    expired = store.expire_due()
    assert [answer.request.approval_id for answer in expired] == ["apr-1"]
    assert store.expire_due() == []
    late = store.approve("apr-1", policy=POLICY, user=APPROVERS[0])
    assert late is not None and (late.outcome, late.changed) == (Outcome.EXPIRED, False)
    in_time = store.approve("apr-2", policy=POLICY, user=APPROVERS[0])
    assert in_time is not None and in_time.outcome is Outcome.RECORDED


def test_deny_with_a_reason_decides_at_once(redis: Redis, clock: ManualClock) -> None:
    """One deny ends a 2-of-N request and the reason is stored."""
    store = ApprovalStore(redis, clock=clock)
    opened(store)
    answer = store.deny("apr-1", policy=POLICY, user=APPROVERS[3], reason="peak traffic")
    assert answer is not None and answer.decided
    stored = store.get("apr-1")
    assert stored is not None
    assert (stored.state, stored.decided_by, stored.reason) == (
        ApprovalState.DENIED,
        APPROVERS[3],
        "peak traffic",
    )


def test_cancel_is_for_the_requester_only(redis: Redis, clock: ManualClock) -> None:
    """Others are refused; the requester withdraws the request."""
    store = ApprovalStore(redis, clock=clock)
    opened(store)
    other = store.cancel("apr-1", user=APPROVERS[0])
    mine = store.cancel("apr-1", user="U0DAVE")
    assert other is not None and other.outcome is Outcome.NOT_REQUESTER
    assert mine is not None and mine.outcome is Outcome.CANCELLED
    stored = store.get("apr-1")
    assert stored is not None and stored.state is ApprovalState.CANCELLED


def test_an_approval_is_voided_in_redis_when_the_target_moved(redis: Redis, clock: ManualClock) -> None:
    """The job's check before acting voids a stale approval for good."""
    store = ApprovalStore(redis, clock=clock)
    opened(store, count=1)
    store.approve("apr-1", policy=POLICY, user=APPROVERS[0])
    answer = store.verify_plan("apr-1", observed={"node/n1": "42"})
    assert answer is not None and answer.outcome is Outcome.VOIDED
    stored = store.get("apr-1")
    assert stored is not None and stored.state is ApprovalState.VOIDED


def test_unknown_requests_give_no_answer(redis: Redis, clock: ManualClock) -> None:
    """Answers to a request nobody opened return None for the caller to explain."""
    store = ApprovalStore(redis, clock=clock)
    assert store.approve("apr-none", policy=POLICY, user=APPROVERS[0]) is None
    assert store.get("apr-none") is None


@pytest.mark.drill(Family.CONCURRENT_APPROVALS, trials=10, quick=1)
@pytest.mark.parametrize("count", [1, 3])
def test_twenty_approvers_at_the_same_instant_make_exactly_one_decision(
    redis_url: str, count: int, *, trial: int, chance: random.Random, drill: Tally
) -> None:
    """Each with its own connection, started in a random order, released together: one answer approves,
    every vote counts once."""
    setup = Redis.from_url(redis_url)
    opened(ApprovalStore(setup), count=count)
    barrier = threading.Barrier(len(APPROVERS))

    def answer_as(user: str) -> Answer | None:
        connection = Redis.from_url(redis_url)
        try:
            store = ApprovalStore(connection)
            barrier.wait()
            return store.approve("apr-1", policy=POLICY, user=user)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(APPROVERS)) as pool:
        order = chance.sample(APPROVERS, len(APPROVERS))
        answers = [answer for answer in pool.map(answer_as, order) if answer is not None]
    outcomes = [answer.outcome for answer in answers]
    drill.tried(Family.CONCURRENT_APPROVALS)
    drill.lost(Family.CONCURRENT_APPROVALS, 1 - min(1, outcomes.count(Outcome.APPROVED)))
    drill.duplicated(Family.CONCURRENT_APPROVALS, outcomes.count(Outcome.APPROVED) - 1)
    assert outcomes.count(Outcome.APPROVED) == 1
    assert outcomes.count(Outcome.RECORDED) == count - 1
    assert outcomes.count(Outcome.ALREADY_DECIDED) == len(APPROVERS) - count
    stored = ApprovalStore(setup).get("apr-1")
    assert stored is not None
    assert len(set(stored.approved_by)) == len(stored.approved_by) == count
    setup.close()


@pytest.mark.drill(Family.REDIS_RESTART)
def test_a_pending_request_survives_a_redis_restart_and_can_still_be_decided(
    tmp_path: Path, drill: Tally
) -> None:
    """With AOF on, a restart in the middle of a 2-of-N request keeps the first vote."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        client = Redis.from_url(server.url)
        store = ApprovalStore(client)
        opened(store)
        store.approve("apr-1", policy=POLICY, user=APPROVERS[0])
        client.close()
        server.stop()
        server.start()
        client = Redis.from_url(server.url)
        store = ApprovalStore(client)
        kept = store.get("apr-1")
        drill.tried(Family.REDIS_RESTART)
        drill.lost(Family.REDIS_RESTART, 0 if kept is not None and kept.approved_by == APPROVERS[:1] else 1)
        assert [
            request.approval_id for request in store.pending_in_thread(channel="C1", thread_ts="100.1")
        ] == ["apr-1"]
        answer = store.approve("apr-1", policy=POLICY, user=APPROVERS[1])
        assert answer is not None and answer.outcome is Outcome.APPROVED
        assert answer.request.approved_by == APPROVERS[:2]
        client.close()
    finally:
        server.stop()


LEGACY_RECORD = {
    "approval_id": "apr-9",
    "job_id": "job-9",
    "requester": "U0DAVE",
    "channel": "C1",
    "thread_ts": "100.9",
    "cluster": "prod",
    "description": "drain node/n1",
    "approvers": ["sre"],
    "count": 2,
    "created_at": T0,
    "expires_at": T0 + 600,
    "witnesses": {"node/n1": "41"},
    "state": "pending",
    "votes": [{"user": APPROVERS[0], "at": T0 + 1}],
    "decided_at": None,
    "decided_by": None,
    "reason": None,
}
"""A pending request as the version before commands travelled as data stored it: no ``command``."""


def stored_by_the_previous_version(redis: Redis, store: ApprovalStore, record: dict[str, object]) -> None:
    """Put ``record`` in Redis as that version did: its JSON under its key, indexed like any request."""
    store.create(ApprovalRequest.from_json(record))
    redis.set(request_key(str(record["approval_id"])), json.dumps(record, sort_keys=True))


def test_a_request_stored_by_the_previous_version_is_approved_as_it_always_was(
    redis: Redis, clock: ManualClock
) -> None:
    """Its record has no command as data: it loads, its earlier vote counts, and the second approval decides it."""
    store = ApprovalStore(redis, clock=clock)
    stored_by_the_previous_version(redis, store, LEGACY_RECORD)
    legacy = store.get("apr-9")
    assert legacy is not None and legacy.command is None and legacy.approved_by == (APPROVERS[0],)
    answer = store.approve("apr-9", policy=POLICY, user=APPROVERS[1])
    assert answer is not None and answer.outcome is Outcome.APPROVED
    assert store.get("apr-9") == answer.request


def test_a_request_stored_by_the_previous_version_is_denied_as_it_always_was(
    redis: Redis, clock: ManualClock
) -> None:
    """One deny decides it, with its reason, and it leaves the pending list."""
    store = ApprovalStore(redis, clock=clock)
    stored_by_the_previous_version(redis, store, LEGACY_RECORD)
    answer = store.deny("apr-9", policy=POLICY, user=APPROVERS[2], reason="not today")
    assert answer is not None and answer.outcome is Outcome.DENIED
    assert answer.request.reason == "not today" and store.pending() == []
