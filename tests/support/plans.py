"""Plans of approval requests, ended in tests as a worker would end them, for engines with no worker."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from redis import Redis

from bot.core.approvals import approval_id_for
from bot.core.conversation import Engine, Reply
from bot.core.plan_gate import PLAN_SUFFIX
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent


def plan_ends(
    engine: Engine,
    planning: Reply,
    *,
    kind: EventKind = EventKind.PLANNED,
    text: str = "",
    details: Mapping[str, Any] | None = None,
) -> list[Reply]:
    """The plan job that ``planning`` answers with reports its last word; the engine's replies to it."""
    assert planning.job_id is not None and planning.job_id.endswith(PLAN_SUFFIX), planning
    request = engine.approval(approval_id_for(job_id=planning.job_id.removesuffix(PLAN_SUFFIX)))
    assert request is not None
    event = JobEvent(
        job_id=planning.job_id,
        kind=kind,
        text=text or f"`{planning.job_id}` {kind.value}.",
        channel=request.channel,
        thread_ts=request.thread_ts,
        at=time.time(),
        details=details or {},
        user=request.requester,
        cluster=request.cluster,
    )
    return engine.plans_reported([event])


def asked(engine: Engine, replies: list[Reply]) -> Reply:
    """Let the plan of a gated command (its one reply, ``replies``) succeed: the request it opens."""
    [planning] = replies
    [request] = plan_ends(engine, planning)
    assert request.approval is not None, request
    return request


def last_word(connection: Redis, job_id: str) -> JobEvent:
    """The last event a job published on the job events stream."""
    entries: Any = connection.xrange(EVENTS_STREAM)
    events = [
        JobEvent.from_fields({k.decode(): v.decode() for k, v in fields.items()}) for _, fields in entries
    ]
    return [event for event in events if event.job_id == job_id][-1]
