"""Over Slack, the plan comes before the request: approvers see a request only with its plan, never one that failed.

The real app against the fake Web API, with a real worker on kubesim running the plans.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.approvals import approval_id_for
from bot.slack.ingress.payloads import APPROVE_ACTION
from kubesim.server import Simulator
from shared.jobs import job_id_for, plan_job_id
from shared.messages import approvals as approval_messages
from tests.slack.conftest import ALICE, BOB, MakeBot, RunningBot, serving
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.test_approvals import PLAN_TEXT, Asked, ask, buttons, queued_job_ids, thread_texts
from tests.slack.test_plans import fixture_sim, thread_of, words, work

pytestmark = pytest.mark.redis

__all__ = ["fixture_sim"]


def mention(running: RunningBot, command: str) -> str:
    """Alice mentions the bot with ``command``; the thread's ts."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    return ts


def test_the_request_and_its_buttons_come_only_with_the_plan(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """The first message with buttons already shows the plan; before it, the thread only says the plan comes first."""
    asked = ask(running, fake_slack, "drain node-3")
    assert PLAN_TEXT in words(asked.message)
    assert set(buttons(asked.message)) >= {APPROVE_ACTION}
    [before] = [
        call
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("thread_ts") == asked.thread_ts and call.answer["ts"] < asked.message_ts
    ]
    assert "blocks" not in before.body
    assert "Working out the plan first" in before.text
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_a_plan_that_fails_answers_the_requester_and_asks_no_approver(
    sim: Simulator, running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """upgrade control-plane v1.33.0 on a v1.31 control plane: the thread gets the refusal, no request, no buttons."""
    del sim
    ts = mention(running, "upgrade control-plane v1.33.0")
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    work(connection)
    refusal = approval_messages.plan_refused(description="upgrade control-plane v1.33.0", reason="")
    [refused] = fake_slack.wait_for("chat.postMessage", where=lambda call: call.text.startswith(refusal))
    assert "skips a minor version" in refused.text
    thread = thread_of(fake_slack, ts)
    assert not [call for call in thread if "blocks" in call.body and buttons(call)], "no approval card"
    asked = Asked(thread_ts=ts, job_id=job_id, message=thread[0])
    running.slack.send_event(
        running.slack.message_event(
            "approve", user=BOB, ts=running.slack.new_ts(), thread_ts=ts, parent_user_id=ALICE
        )
    )
    [told] = fake_slack.wait_for("chat.postEphemeral")
    assert told.text == approval_messages.no_pending_request()
    assert job_id not in queued_job_ids(connection)
    assert approval_id_for(job_id=job_id) not in " ".join(thread_texts(fake_slack, asked))


def test_a_request_whose_node_is_cordoned_meanwhile_is_voided_in_its_thread(
    sim: Simulator, running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """A drain of node-3 waits for a lead; Alice cordons node-3 in the channel: the request card loses its
    buttons and says voided, the thread says which target changed, and Bob's approve finds nothing."""
    del sim
    asked = ask(running, fake_slack, "drain node-3", run_plan=lambda: work(connection))
    cordon = mention(running, "cordon node-3")
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == cordon)
    work(connection)
    [void] = fake_slack.wait_for(
        "chat.postMessage",
        where=lambda call: (
            call.body.get("thread_ts") == asked.thread_ts and "This request is void" in call.text
        ),
    )
    assert "`node/node-3`" in void.text
    [edit] = fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    assert buttons(edit) == {}
    assert "Voided" in words(edit)
    running.slack.send_event(
        running.slack.message_event(
            "approve", user=BOB, ts=running.slack.new_ts(), thread_ts=asked.thread_ts, parent_user_id=ALICE
        )
    )
    [told] = fake_slack.wait_for("chat.postEphemeral")
    assert told.text == approval_messages.no_pending_request()
    assert asked.job_id not in queued_job_ids(connection)


@pytest.fixture(name="rechecking")
def fixture_rechecking(make_bot: MakeBot, fake_slack: FakeSlack, connection: Redis) -> Iterator[RunningBot]:
    """The real app with its pending requests re-planned every 0.2 s (a minute in production)."""
    bot = make_bot(card_interval=0.3, card_retry_seconds=0.1, expiry_interval=0.05, recheck_interval=0.2)
    with serving(bot, fake_slack, connection) as running:
        yield running


def test_a_request_whose_node_is_cordoned_outside_the_bot_is_voided_while_it_waits(
    sim: Simulator, rechecking: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """A drain of node-3 waits for a lead; someone cordons node-3 with kubectl: a re-check of the plan
    voids the request in its thread, naming the node and saying it changed outside the bot, the card
    loses its buttons, and Bob's approve finds nothing."""
    asked = ask(rechecking, fake_slack, "drain node-3", run_plan=lambda: work(connection))
    body = {"spec": {"unschedulable": True}}
    sim.store.patch("nodes", None, "node-3", body, content_type="application/merge-patch+json")

    def voided() -> bool:
        work(connection)  # the worker runs the re-checks the bot queues
        return any(
            call.body.get("thread_ts") == asked.thread_ts and "changed outside the bot" in call.text
            for call in fake_slack.calls("chat.postMessage")
        )

    wait_until(voided, timeout=15)
    [void] = [
        call
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("thread_ts") == asked.thread_ts and "This request is void" in call.text
    ]
    assert void.text == approval_messages.voided_by_a_change_outside(targets=["node/node-3"])
    [edit] = fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    assert buttons(edit) == {}
    rechecking.slack.send_event(
        rechecking.slack.message_event(
            "approve", user=BOB, ts=rechecking.slack.new_ts(), thread_ts=asked.thread_ts, parent_user_id=ALICE
        )
    )
    [told] = fake_slack.wait_for("chat.postEphemeral")
    assert told.text == approval_messages.no_pending_request()
    assert asked.job_id not in queued_job_ids(connection)
