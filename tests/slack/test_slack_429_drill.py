"""Slack answering 429 to bursts of calls while job cards are updated: no final state is lost or doubled.

Each trial is one job in its own thread: it starts, publishes 60 progress events, and ends succeeded
or failed. At a random point of it (after 0 to 59 progress events, drawn from the drill seed) Slack
starts answering the next 1 to 12 Web API calls with 429. The client retries once after Retry-After and
the renderer puts off what still fails; in the end the job's card shows its final state and the result
is broadcast exactly once.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from typing import Any

import pytest
from redis import Redis

from bot.slack.ingress.server import ServerThread
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent
from tests.slack.conftest import MakeBot
from tests.slack.fake_slack import Call, FakeSlack
from tests.support.drill_trials import trial_count
from tests.support.drills import Family, Tally
from tests.support.ports import free_port

pytestmark = pytest.mark.redis

CHANNEL = "C_OPS"
PROGRESS = 60


def publish(connection: Redis, item: JobEvent) -> None:
    """XADD one job event to the stream, as a worker does, stamped with the time it is sent."""
    fields: dict[Any, Any] = dict(dataclasses.replace(item, at=time.time()).to_fields())
    connection.xadd(EVENTS_STREAM, fields)


def job_events(job_id: str, thread: str, *, succeeded: bool) -> list[JobEvent]:
    """A job's events: started, progress, and its end."""

    def one(kind: EventKind, text: str) -> JobEvent:
        return JobEvent(
            job_id=job_id, kind=kind, text=text, channel=CHANNEL, thread_ts=thread, at=time.time()
        )

    ending = (
        one(EventKind.SUCCEEDED, f"`{job_id}` succeeded.")
        if succeeded
        else one(EventKind.FAILED, f"`{job_id}` failed: budget exhausted")
    )
    progress = [one(EventKind.PROGRESS, f"evicted {pod}/{PROGRESS}") for pod in range(1, PROGRESS + 1)]
    return [one(EventKind.STARTED, "started"), *progress, ending]


def in_thread(call: Call, *, thread: str) -> bool:
    """Whether ``call`` posted in ``thread``."""
    return call.body.get("thread_ts") == thread


@pytest.mark.drill(Family.SLACK_429)
def test_slack_429_storms_at_random_points_of_jobs_lose_no_final_state_and_double_no_result(
    make_bot: MakeBot,
    fake_slack: FakeSlack,
    connection: Redis,
    pytestconfig: pytest.Config,
    *,
    chance: random.Random,
    drill: Tally,
) -> None:
    """20 jobs (3 in ``make test``), each hit by a storm of 1 to 12 refused calls at a random point."""
    bot = make_bot(card_interval=0.1, card_retry_seconds=0.1, rate_limit_retries=1)
    trials = trial_count(pytestconfig, trials=20, quick=3)
    wrong: list[tuple[str, str]] = []
    with ServerThread(bot.asgi, port=free_port()):
        bot.cards.start()
        try:
            for number in range(trials):
                job_id, thread = f"job-{9_000_000_000 + number}", f"1700000{number:03d}.000100"
                succeeded = chance.random() < 0.5
                events = job_events(job_id, thread, succeeded=succeeded)
                strike = chance.randint(1, PROGRESS)
                publish(connection, events[0])
                fake_slack.wait_for("chat.postMessage", where=functools.partial(in_thread, thread=thread))
                for index, item in enumerate(events[1:], start=1):
                    if index == strike:
                        fake_slack.rate_limit(calls=chance.randint(1, 12), retry_after=0)
                    publish(connection, item)
                    time.sleep(chance.uniform(0.0, 0.004))
                struck = time.monotonic()

                def broadcast(call: Any, thread: str = thread) -> bool:
                    return bool(call.body.get("reply_broadcast")) and call.body.get("thread_ts") == thread

                fake_slack.wait_for("chat.postMessage", where=broadcast, timeout=20)
                drill.recovered(Family.SLACK_429, time.monotonic() - struck)
                card = [
                    call
                    for call in fake_slack.calls("chat.postMessage")
                    if call.body.get("thread_ts") == thread and not call.body.get("reply_broadcast")
                ]
                final = "succeeded" if succeeded else "failed: budget exhausted"
                time.sleep(0.3)  # a second broadcast or a later update would show by now
                updates = [
                    c
                    for c in fake_slack.calls("chat.update")
                    if card and c.body.get("ts") == card[0].answer["ts"]
                ]
                shown = updates[-1].body["text"] if updates else ""
                results = [c for c in fake_slack.calls("chat.postMessage") if broadcast(c)]
                drill.tried(Family.SLACK_429)
                drill.lost(Family.SLACK_429, int(final not in shown))
                drill.duplicated(Family.SLACK_429, len(results) - 1)
                if final not in shown or len(results) != 1:
                    wrong.append((job_id, f"{len(results)} results, card: {shown!r}"))
        finally:
            bot.cards.stop()
    assert wrong == []
