"""A job's last word carries what it ran and the undo it offers, as data, for the bot to show as is."""

from __future__ import annotations

from typing import Any

import fakeredis
from redis import Redis

from shared.commands import Cordon, Uncordon
from shared.invocation import invocation_of
from shared.jobevents import COMMAND_DETAIL, EVENTS_STREAM, EventKind, JobEvent, RequestContext
from shared.undo import UNDO_DETAIL, undo_offer
from workers.report import Reporter

CORDON = Cordon(node="node-3")


def reporter(connection: Redis) -> Reporter:
    """The reporter of a ``cordon node-3`` job, as the bot submitted it."""
    offer = undo_offer(CORDON)
    assert offer is not None
    request = RequestContext(
        job_id="job-1",
        user="U_ALICE",
        channel="C_OPS",
        thread_ts="1.1",
        cluster="default",
        command=invocation_of(CORDON).to_json(),
        undo=offer.to_json(),
    )
    return Reporter(connection, request)


def last_event(connection: Redis) -> JobEvent:
    """The newest event on the stream."""
    entries: Any = connection.xrevrange(EVENTS_STREAM, count=1)
    [(_, fields)] = entries
    return JobEvent.from_fields({key.decode(): value.decode() for key, value in fields.items()})


def test_a_success_that_changed_something_carries_its_command_and_its_undo() -> None:
    """The offer made at submission, checked against the result: uncordon node-3."""
    connection: Redis = fakeredis.FakeRedis()
    reporter(connection).emit(EventKind.SUCCEEDED, "done", changed=True)
    details = last_event(connection).details
    assert details[COMMAND_DETAIL] == invocation_of(CORDON).to_json()
    assert details[UNDO_DETAIL] == invocation_of(Uncordon(node="node-3")).to_json()


def test_a_success_that_changed_nothing_or_a_failure_offers_no_undo() -> None:
    """The node was cordoned already, or the job failed: nothing to take back."""
    connection: Redis = fakeredis.FakeRedis()
    reporter(connection).emit(EventKind.SUCCEEDED, "done", changed=False)
    assert UNDO_DETAIL not in last_event(connection).details
    reporter(connection).emit(EventKind.FAILED, "failed", changed=True)
    assert UNDO_DETAIL not in last_event(connection).details
    assert COMMAND_DETAIL in last_event(connection).details
