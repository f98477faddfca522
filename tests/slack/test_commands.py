"""Commands reach the engine from every way into Slack, once each, and the answers land in the thread."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.core.policy import decide
from bot.core.policy_file import demo_policy
from shared.jobs import job_id_for, queue_name
from shared.messages import slack as messages
from tests.slack.conftest import ALICE, DAVE, RunningBot
from tests.slack.fake_slack import BOT_ID, BOT_USER, FakeSlack
from tests.slack.observe import deliveries, settled, wait_until
from tests.support.drills import Family, Tally

pytestmark = pytest.mark.redis


def queued_job_ids(connection: Redis) -> list[str]:
    """The ids of the jobs waiting on the default cluster's queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids()


def test_a_mention_that_cordons_a_node_is_queued_seen_and_answered_in_its_thread(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """@bot cordon node-3: 200 at once, :eyes: on the message, the job queued, the answer in the thread."""
    ts = running.slack.new_ts()
    status, _ = running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=ts, kind="app_mention")
    )
    assert status == 200
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    [reply] = fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    assert job_id in reply.text
    [reaction] = fake_slack.wait_for("reactions.add")
    assert (reaction.body["channel"], reaction.body["timestamp"], reaction.body["name"]) == (
        "C_OPS",
        ts,
        "eyes",
    )
    assert queued_job_ids(connection) == [job_id]


def test_a_denied_command_gets_an_ephemeral_reply_naming_the_rule(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """Dave (a viewer) may not cordon: only he is told, with the policy's own refusal."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> cordon node-3", user=DAVE, ts=ts, kind="app_mention")
    )
    [refusal] = fake_slack.wait_for("chat.postEphemeral")
    expected = decide(
        demo_policy(),
        user=DAVE,
        user_groups=frozenset(),
        command="cordon",
        channel="C_OPS",
        namespace=None,
        cluster="default",
    )
    assert refusal.body["user"] == DAVE
    assert refusal.text == expected.reason
    assert "rule 2" in refusal.text
    assert "thread_ts" not in refusal.body  # no thread exists yet, so it would not show there
    wait_until(settled(running.bot, route="command", expected=1), what="the command to be handled")
    assert fake_slack.calls("chat.postMessage") == []


def test_a_slash_command_acks_at_once_posts_the_request_and_answers_in_its_thread(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """/ops cordon node-4: an empty 200, then the request in the channel and the job in its thread."""
    status, body = running.slack.slash("cordon node-4", user=ALICE)
    assert (status, body) == (200, b"")
    root = fake_slack.wait_for("chat.postMessage")[0]
    assert "cordon node-4" in root.text
    assert f"<@{ALICE}>" in root.text
    root_ts = str(root.answer["ts"])
    job_id = job_id_for(channel="C_OPS", message_ts=root_ts)
    [reply] = fake_slack.wait_for(
        "chat.postMessage", where=lambda call: call.body.get("thread_ts") == root_ts
    )
    assert job_id in reply.text
    assert queued_job_ids(connection) == [job_id]


def test_a_slash_command_where_the_bot_cannot_post_is_answered_through_the_response_url(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """In a channel the bot cannot post to, /ops says so to the person only, and runs nothing."""
    running.slack.slash("cordon node-4", user=ALICE, channel="C_GONE_PRIVATE")
    [answer] = fake_slack.wait_for("/webhook/r1")
    assert (answer.body["text"], answer.body["response_type"]) == (messages.slash_cannot_post(), "ephemeral")
    assert queued_job_ids(connection) == []


def test_a_direct_message_is_a_command_without_a_mention(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """A DM saying cordon node-5 is queued and answered in the DM's thread."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event("cordon node-5", user=ALICE, ts=ts, channel="D_ALICE")
    )
    [reply] = fake_slack.wait_for("chat.postMessage")
    assert (reply.body["channel"], reply.body["thread_ts"]) == ("D_ALICE", ts)
    assert queued_job_ids(connection) == [job_id_for(channel="D_ALICE", message_ts=ts)]


@pytest.mark.drill(Family.DUPLICATE_DELIVERY)
def test_a_retried_delivery_runs_once(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """The same mention delivered again with X-Slack-Retry-Num is acknowledged but not run again."""
    event = running.slack.message_event(
        f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=running.slack.new_ts(), kind="app_mention"
    )
    statuses = [
        running.slack.send_event(event)[0],
        running.slack.send_event(event, retry=1)[0],
        running.slack.send_event(event, retry=2)[0],
    ]
    assert statuses == [200, 200, 200]
    wait_until(settled(running.bot, route="command", expected=3), what="three deliveries")
    drill.tried(Family.DUPLICATE_DELIVERY, 2)
    drill.lost(Family.DUPLICATE_DELIVERY, 1 - min(1, len(queued_job_ids(connection))))
    drill.duplicated(Family.DUPLICATE_DELIVERY, len(fake_slack.calls("chat.postMessage")) - 1)
    drill.duplicated(Family.DUPLICATE_DELIVERY, len(queued_job_ids(connection)) - 1)
    assert deliveries(running.bot, route="command", outcome="duplicate") == 2
    assert len(fake_slack.calls("reactions.add")) == 1
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert len(queued_job_ids(connection)) == 1


@pytest.mark.drill(Family.DUPLICATE_DELIVERY)
def test_a_mention_arriving_as_app_mention_and_as_message_runs_once(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """Subscribed to both, Slack sends one mention twice with different event ids: one job, one answer."""
    ts = running.slack.new_ts()
    text = f"<@{BOT_USER}> cordon node-3"
    running.slack.send_event(running.slack.message_event(text, user=ALICE, ts=ts, kind="app_mention"))
    running.slack.send_event(running.slack.message_event(text, user=ALICE, ts=ts, kind="message"))
    wait_until(settled(running.bot, route="command", expected=2), what="both deliveries")
    drill.tried(Family.DUPLICATE_DELIVERY)
    drill.lost(Family.DUPLICATE_DELIVERY, 1 - min(1, len(queued_job_ids(connection))))
    drill.duplicated(Family.DUPLICATE_DELIVERY, len(queued_job_ids(connection)) - 1)
    assert deliveries(running.bot, route="command", outcome="handled") == 1
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert len(queued_job_ids(connection)) == 1


def test_messages_from_bots_and_chatter_are_acknowledged_and_ignored(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Our own posts, another bot's, edits and plain chatter get 200 and no action; then a command still works."""
    slack = running.slack
    ignored = [
        slack.message_event(f"<@{BOT_USER}> cordon node-1", user=BOT_USER, ts=slack.new_ts(), bot_id=BOT_ID),
        slack.message_event(
            f"<@{BOT_USER}> cordon node-1", user="U_OTHERBOT", ts=slack.new_ts(), bot_id="B_OTHER"
        ),
        slack.message_event(
            "cordon node-1", user=ALICE, ts=slack.new_ts(), channel="D_ALICE", subtype="message_changed"
        ),
        slack.message_event("lunch anyone?", user=ALICE, ts=slack.new_ts()),
        {
            "type": "app_home_opened",
            "user": ALICE,
            "channel": "D_ALICE",
            "tab": "home",
            "event_ts": slack.new_ts(),
        },
    ]
    assert [slack.send_event(event)[0] for event in ignored] == [200] * len(ignored)
    ts = slack.new_ts()
    slack.send_event(slack.message_event("cordon node-2", user=ALICE, ts=ts, channel="D_ALICE"))
    wait_until(settled(running.bot, route="command", expected=1), what="the DM command")
    assert [call.body["timestamp"] for call in fake_slack.calls("reactions.add")] == [ts]
    assert queued_job_ids(connection) == [job_id_for(channel="D_ALICE", message_ts=ts)]
    assert deliveries(running.bot, route="command", outcome="handled") == 1


def test_an_answer_typed_in_a_thread_reaches_the_engine_in_that_thread(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """approve in a request's thread: seen, the account checked with Slack, answered in the thread."""
    root = running.slack.new_ts()
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event("approve", user=DAVE, ts=ts, thread_ts=root, parent_user_id=ALICE)
    )
    wait_until(settled(running.bot, route="answer", expected=1), what="the answer")
    assert deliveries(running.bot, route="answer", outcome="handled") == 1
    assert [call.body["user"] for call in fake_slack.calls("users.info")] == [DAVE]
    assert [call.body["timestamp"] for call in fake_slack.calls("reactions.add")] == [ts]
    replies = fake_slack.calls("chat.postMessage") + fake_slack.calls("chat.postEphemeral")
    assert replies
    assert all(call.body.get("thread_ts") == root for call in replies)


def test_a_button_click_is_the_same_answer_as_typing_it(running: RunningBot, fake_slack: FakeSlack) -> None:
    """Clicking Deny on the approval message answers in the thread that message is in."""
    root = running.slack.new_ts()
    status, _ = running.slack.click(
        "approval_deny", user=DAVE, thread_ts=root, message_ts=running.slack.new_ts()
    )
    assert status == 200
    wait_until(settled(running.bot, route="answer", expected=1), what="the click")
    assert deliveries(running.bot, route="answer", outcome="handled") == 1
    assert [call.body["user"] for call in fake_slack.calls("users.info")] == [DAVE]
    replies = fake_slack.calls("chat.postMessage") + fake_slack.calls("chat.postEphemeral")
    assert replies
    assert all(call.body.get("thread_ts") == root for call in replies)
