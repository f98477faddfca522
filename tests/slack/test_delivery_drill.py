"""Slack delivering the same request several times, out of order and at once: each command runs once.

Slack retries an event it thinks went unanswered (``X-Slack-Retry-Num``), sends a mention both as
``app_mention`` and as ``message`` when the app subscribes to both, and a slash command's signed request
can arrive again byte for byte. Each round of the drill types two mentions and one ``/ops`` command,
makes 1 to 4 deliveries of each (the kinds drawn from the drill seed), shuffles all of them and sends
them from four threads at once to the real app over signed HTTP. When everything is settled every
mention was answered once in its thread with one job queued, and every slash command posted one
request message with one job.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.core.limits import Limits
from shared.jobs import job_id_for, queue_name
from tests.slack.conftest import ALICE, MakeBot, RunningBot, serving
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import settled, wait_until
from tests.slack.signed import SlackSender
from tests.support.drill_trials import trial_count
from tests.support.drills import Family, Tally

pytestmark = pytest.mark.redis

CHANNEL = "C_OPS"
Delivery = Callable[[], tuple[int, bytes]]


@pytest.fixture(name="busy")
def fixture_busy(make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis) -> Iterator[RunningBot]:
    """The real app over HTTP, with command rates high enough for the drill's bursts of one person."""
    bot = make_bot(
        settings={"limits": Limits(user_commands_per_minute=10_000, channel_commands_per_minute=10_000)},
        card_interval=0.3,
        card_retry_seconds=0.1,
        expiry_interval=0.05,
    )
    with serving(bot, fake_slack, connection) as running:
        yield running


def mention_deliveries(slack: SlackSender, text: str, ts: str, chance: random.Random) -> list[Delivery]:
    """The first delivery of a mention and 0 to 3 more: retries, or the same mention as a ``message``."""
    mention = slack.message_event(text, user=ALICE, ts=ts, kind="app_mention")
    as_message = slack.message_event(text, user=ALICE, ts=ts, kind="message")
    deliveries: list[Delivery] = [lambda: slack.send_event(mention)]
    for retry in range(1, chance.randint(1, 4)):
        if chance.random() < 0.5:
            deliveries.append(lambda retry=retry: slack.send_event(mention, retry=retry))  # type: ignore[misc]
        else:
            deliveries.append(lambda: slack.send_event(as_message))
    return deliveries


def slash_deliveries(slack: SlackSender, text: str, chance: random.Random) -> list[Delivery]:
    """One typing of ``/ops text`` delivered 1 to 3 times, byte for byte."""
    body = slack.slash_body(text, user=ALICE)
    sent_at = slack.sent_at()
    return [lambda: slack.send_slash(body, timestamp=sent_at) for _ in range(chance.randint(1, 3))]


def queued_job_ids(connection: Redis) -> list[str]:
    """The ids of the jobs waiting on the default cluster's queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids()


@pytest.mark.drill(Family.DUPLICATE_DELIVERY)
def test_commands_delivered_several_times_out_of_order_and_at_once_each_run_once(
    busy: RunningBot,
    fake_slack: FakeSlack,
    connection: Redis,
    pytestconfig: pytest.Config,
    *,
    chance: random.Random,
    drill: Tally,
) -> None:
    """20 rounds (3 in ``make test``) of two mentions and a slash command, each sent 1 to 4 times, shuffled."""
    rounds = trial_count(pytestconfig, trials=20, quick=3)
    slack = busy.slack
    mentions: list[str] = []
    deliveries: list[Delivery] = []
    for number in range(rounds):
        for letter in "ab":
            ts = slack.new_ts()
            mentions.append(ts)
            text = f"<@{BOT_USER}> cordon node-{number}{letter}"
            deliveries += mention_deliveries(slack, text, ts, chance)
        deliveries += slash_deliveries(slack, f"cordon node-{number}c", chance)
    chance.shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [status for status, _ in pool.map(lambda deliver: deliver(), deliveries)]
    assert statuses == [200] * len(deliveries)
    wait_until(
        settled(busy.bot, route="command", expected=len(deliveries)), what="every delivery", timeout=60
    )

    posts = fake_slack.calls("chat.postMessage")
    answers = [str(call.body["thread_ts"]) for call in posts if call.body.get("thread_ts") in mentions]
    roots = [str(call.answer["ts"]) for call in posts if "thread_ts" not in call.body]
    expected_jobs = {job_id_for(channel=CHANNEL, message_ts=ts) for ts in [*mentions, *roots]}
    queued = queued_job_ids(connection)
    drill.tried(Family.DUPLICATE_DELIVERY, rounds)
    drill.lost(
        Family.DUPLICATE_DELIVERY, len(expected_jobs - set(queued)) + len(set(mentions) - set(answers))
    )
    drill.duplicated(
        Family.DUPLICATE_DELIVERY,
        (len(queued) - len(set(queued))) + (len(answers) - len(set(answers))) + max(0, len(roots) - rounds),
    )
    assert sorted(answers) == sorted(mentions)
    assert len(roots) == rounds
    assert sorted(queued) == sorted(expected_jobs)
