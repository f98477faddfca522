"""An answer decides exactly one request: the one whose buttons were clicked, or the one it names.

The security review's critical finding: with a drain and a `scale web 0` pending in one thread, an
Approve click on the drain's message approved the scale (the newest request of the thread). These
specifications keep every answer bound to its request.
"""

from __future__ import annotations

import pytest
from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalState, approval_id_for
from bot.slack.ingress.payloads import APPROVE_ACTION
from shared.jobs import job_id_for, plan_job_id
from shared.messages import approvals as approval_messages
from tests.slack.conftest import ALICE, BOB, CAROL, RunningBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.test_approvals import Asked, answer, ask, click, queued_job_ids, report_plan

pytestmark = pytest.mark.redis


def ask_in_thread(
    running: RunningBot, fake_slack: FakeSlack, first: Asked, command: str, *, user: str
) -> Asked:
    """Mention the bot with ``command`` as a reply in ``first``'s thread; wait for its own request message."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(
            f"<@{BOT_USER}> {command}", user=user, ts=ts, kind="app_mention", thread_ts=first.thread_ts
        )
    )
    report_plan(
        running.connection, job_id=job_id_for(channel="C_OPS", message_ts=ts), thread_ts=first.thread_ts
    )
    [message] = fake_slack.wait_for(
        "chat.postMessage",
        where=lambda call: (
            call.body.get("thread_ts") == first.thread_ts
            and "blocks" in call.body
            and call.answer["ts"] != first.message_ts
        ),
    )
    return Asked(
        thread_ts=first.thread_ts, job_id=job_id_for(channel="C_OPS", message_ts=ts), message=message
    )


def state_of(connection: Redis, asked: Asked) -> ApprovalState:
    """The stored state of ``asked``'s approval request."""
    request = ApprovalStore(connection).get(asked.approval_id)
    assert request is not None
    return request.state


def two_requests_in_one_thread(running: RunningBot, fake_slack: FakeSlack) -> tuple[Asked, Asked]:
    """Alice's drain, then Bob's `scale web 0` asked in the drain's thread: both pending."""
    drain = ask(running, fake_slack, "drain node-3", user=ALICE)
    scale = ask_in_thread(running, fake_slack, drain, "scale web 0", user=BOB)
    assert drain.approval_id != scale.approval_id
    return drain, scale


def test_approve_clicked_on_the_drain_approves_the_drain_and_leaves_the_newer_scale_pending(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """The reproduced attack: Carol clicks Approve on the drain's message; web is not scaled."""
    drain, scale = two_requests_in_one_thread(running, fake_slack)
    click(running, drain, APPROVE_ACTION, user=CAROL)
    fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == drain.message_ts)
    fake_slack.wait_for("chat.postMessage", where=lambda call: drain.job_id in call.text)
    assert state_of(connection, drain) is ApprovalState.APPROVED
    assert state_of(connection, scale) is ApprovalState.PENDING
    queued = queued_job_ids(connection)
    assert drain.job_id in queued
    assert scale.job_id not in queued


def test_a_typed_approve_in_a_thread_with_two_pending_requests_must_say_which(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Plain `approve` is ambiguous there: Carol is told privately which ids wait; nothing is decided."""
    drain, scale = two_requests_in_one_thread(running, fake_slack)
    answer(running, drain, "approve", user=CAROL)
    [told] = fake_slack.wait_for("chat.postEphemeral")
    ids = sorted([drain.approval_id, scale.approval_id])
    assert told.text == approval_messages.name_the_request(approval_ids=ids)
    assert state_of(connection, drain) is ApprovalState.PENDING
    assert state_of(connection, scale) is ApprovalState.PENDING
    assert queued_job_ids(connection) == [plan_job_id(drain.job_id), plan_job_id(scale.job_id)]


def test_an_answer_that_names_its_request_decides_that_one_only(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """`approve apr-…` approves the scale, `deny apr-… REASON` denies the drain, each alone."""
    drain, scale = two_requests_in_one_thread(running, fake_slack)
    answer(running, drain, f"approve {scale.approval_id}", user=CAROL)
    fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == scale.message_ts)
    assert state_of(connection, scale) is ApprovalState.APPROVED
    assert state_of(connection, drain) is ApprovalState.PENDING
    answer(running, drain, f"deny {drain.approval_id} not during the sale", user=CAROL)
    fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == drain.message_ts)
    assert state_of(connection, drain) is ApprovalState.DENIED
    stored = ApprovalStore(connection).get(drain.approval_id)
    assert stored is not None and stored.reason == "not during the sale"
    queued = queued_job_ids(connection)
    assert scale.job_id in queued
    assert drain.job_id not in queued


def test_a_click_whose_value_names_a_request_of_another_thread_decides_nothing(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """A tampered button value pointing at another thread's request is refused; both stay pending."""
    here = ask(running, fake_slack, "drain node-3", user=ALICE)
    elsewhere = ask(running, fake_slack, "drain node-2", user=ALICE)
    status, _ = running.slack.click(
        APPROVE_ACTION,
        user=CAROL,
        thread_ts=here.thread_ts,
        message_ts=here.message_ts,
        value=elsewhere.approval_id,
    )
    assert status == 200
    [told] = fake_slack.wait_for("chat.postEphemeral")
    assert told.text == approval_messages.no_such_request(approval_id=elsewhere.approval_id)
    assert state_of(connection, here) is ApprovalState.PENDING
    assert state_of(connection, elsewhere) is ApprovalState.PENDING


def test_an_answer_naming_an_unknown_request_is_told_so(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """`approve apr-…` with an id nobody asked for: a private reply, the thread's request untouched."""
    drain = ask(running, fake_slack, "drain node-3", user=ALICE)
    missing = approval_id_for(job_id="job-0000000000")
    answer(running, drain, f"approve {missing}", user=CAROL)
    [told] = fake_slack.wait_for("chat.postEphemeral")
    assert told.text == approval_messages.no_such_request(approval_id=missing)
    assert state_of(connection, drain) is ApprovalState.PENDING
