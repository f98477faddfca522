"""A slash command runs once per time it was typed, however many times its request arrives.

Each run of ``/ops`` posts a new request message, whose ``ts`` names the job: a slash command run
again would queue the work again. Slack's ``trigger_id`` (or, without one, the signed body itself)
names one typing of the command; the first delivery claims it and every other is acknowledged and
dropped, whether it is a replay of the same signed request or the inbox running a delivery again
after Slack failed on one of its replies.
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from shared.jobs import job_id_for, queue_name
from tests.slack.conftest import ALICE, RunningBot
from tests.slack.fake_slack import FakeSlack
from tests.slack.observe import deliveries, settled, wait_until

pytestmark = pytest.mark.redis


def queued_job_ids(connection: Redis) -> list[str]:
    """The ids of the jobs waiting on the default cluster's queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids()


def request_posts(fake_slack: FakeSlack) -> list[str]:
    """The ``ts`` of every request message the bot posted for a slash command (not in a thread)."""
    return [
        str(call.answer["ts"])
        for call in fake_slack.calls("chat.postMessage")
        if "thread_ts" not in call.body
    ]


@pytest.mark.parametrize("trigger", [True, False], ids=["with trigger_id", "without trigger_id"])
def test_the_same_signed_slash_command_sent_three_times_queues_one_job(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, trigger: bool
) -> None:
    """A replayed /ops request (same bytes, same signature): three empty 200s, one request, one job."""
    body = running.slack.slash_body("cordon node-4", user=ALICE, trigger=trigger)
    sent_at = running.slack.sent_at()
    statuses = [running.slack.send_slash(body, timestamp=sent_at) for _ in range(3)]
    assert statuses == [(200, b"")] * 3
    wait_until(settled(running.bot, route="command", expected=3), what="three deliveries")
    [root_ts] = request_posts(fake_slack)
    assert queued_job_ids(connection) == [job_id_for(channel="C_OPS", message_ts=root_ts)]
    assert deliveries(running.bot, route="command", outcome="duplicate") == 2
    assert fake_slack.calls("/webhook/r1") == []  # the duplicates are not answered at all
    assert fake_slack.calls("chat.postEphemeral") == []


def test_the_same_command_typed_twice_runs_twice(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Two typings of /ops cordon node-4 carry two trigger ids: two requests, two jobs."""
    for _ in range(2):
        running.slack.slash("cordon node-4", user=ALICE)
    wait_until(settled(running.bot, route="command", expected=2), what="both commands")
    roots = request_posts(fake_slack)
    assert len(roots) == 2
    assert sorted(queued_job_ids(connection)) == sorted(
        job_id_for(channel="C_OPS", message_ts=ts) for ts in roots
    )


def test_a_slash_command_whose_reply_slack_failed_is_finished_in_the_same_thread(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Slack fails the answer once: the delivery is run again, on the request already posted, once."""
    fake_slack.fail("chat.postMessage", where=lambda body: "thread_ts" in body)
    running.slack.slash("cordon node-4", user=ALICE)
    [answer] = fake_slack.wait_for("chat.postMessage", where=lambda call: "thread_ts" in call.body)
    wait_until(lambda: deliveries(running.bot, route="command", outcome="handled") == 1, what="the retry")
    [root_ts] = request_posts(fake_slack)
    assert answer.body["thread_ts"] == root_ts
    assert queued_job_ids(connection) == [job_id_for(channel="C_OPS", message_ts=root_ts)]
