"""Approval requests in Slack: a message with buttons in the thread, answered by click or reply, edited once decided."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.approval_store import ApprovalStore
from bot.core.approvals import approval_id_for
from bot.core.timeline import EntryKind
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from bot.timeline_store import TimelineStore
from shared.jobevents import EventKind, RequestContext
from shared.jobs import job_id_for, plan_job_id, queue_name
from shared.messages import approvals as approval_messages
from shared.messages import jobs as job_messages
from shared.messages import slack as messages
from tests.slack.conftest import ALICE, BOB, CAROL, ApprovalClock, RunningBot
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack
from tests.slack.observe import wait_until
from workers.report import Reporter

pytestmark = pytest.mark.redis

DRAIN_TTL_SECONDS = 15 * 60
"""The demo policy's time to live for risky commands."""


@dataclasses.dataclass(frozen=True)
class Asked:
    """A command that needs approval, and the request message the bot posted for it."""

    thread_ts: str
    job_id: str
    message: Call

    @property
    def message_ts(self) -> str:
        """The ts of the request message (the one with the buttons)."""
        return str(self.message.answer["ts"])

    @property
    def approval_id(self) -> str:
        """The request's id."""
        return approval_id_for(job_id=self.job_id)


PLAN_TEXT = "Would evict 2 pods from the node."
"""What a plan says when a test plays the worker that runs it."""


def report_plan(connection: Redis, *, job_id: str, thread_ts: str, fails: str | None = None) -> None:
    """Play the worker running the plan of ``job_id``: it shows :data:`PLAN_TEXT` and ends planned, or fails.

    It waits for the bot to have opened the request (the mention is handled asynchronously).
    """
    store = ApprovalStore(connection)
    wait_until(lambda: store.get(approval_id_for(job_id=job_id)) is not None, what="the request")
    plan = plan_job_id(job_id)
    request = RequestContext(job_id=plan, user=ALICE, channel="C_OPS", thread_ts=thread_ts, cluster="default")
    reporter = Reporter(connection, request)
    if fails is not None:
        reporter.emit(EventKind.FAILED, job_messages.failed(job_id=plan, reason=fails))
        return
    reporter.emit_plan(PLAN_TEXT)
    reporter.emit(EventKind.PLANNED, job_messages.planned(job_id=plan))


def ask(
    running: RunningBot,
    fake_slack: FakeSlack,
    command: str,
    *,
    user: str = ALICE,
    run_plan: Callable[[], None] | None = None,
) -> Asked:
    """Mention the bot with ``command``, let its plan succeed, and wait for the approval request message.

    The plan is played by :func:`report_plan` unless ``run_plan`` runs it (a real worker).
    """
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=user, ts=ts, kind="app_mention")
    )
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    fake_slack.wait_for(  # said once the plan job is queued
        "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts and "plan first" in call.text
    )
    if run_plan is None:
        report_plan(running.connection, job_id=job_id, thread_ts=ts)
    else:
        run_plan()
    [message] = fake_slack.wait_for(
        "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts and "blocks" in call.body
    )
    return Asked(thread_ts=ts, job_id=job_id, message=message)


def answer(running: RunningBot, asked: Asked, text: str, *, user: str) -> None:
    """Type ``text`` in the request's thread."""
    running.slack.send_event(
        running.slack.message_event(
            text, user=user, ts=running.slack.new_ts(), thread_ts=asked.thread_ts, parent_user_id=ALICE
        )
    )


def click(running: RunningBot, asked: Asked, action_id: str, *, user: str) -> None:
    """Click a button on the request message, as Slack sends it."""
    status, _ = running.slack.click(
        action_id, user=user, thread_ts=asked.thread_ts, message_ts=asked.message_ts, value=asked.approval_id
    )
    assert status == 200


def edit_of(fake_slack: FakeSlack, asked: Asked) -> Call:
    """Wait for the one chat.update of the request message and return it."""
    [edit] = fake_slack.wait_for("chat.update", where=lambda call: call.body.get("ts") == asked.message_ts)
    return edit


def blocks_of(call: Call, kind: str) -> list[dict[str, Any]]:
    """The blocks of ``kind`` a call sent."""
    return [block for block in call.body.get("blocks") or [] if block["type"] == kind]


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    """The buttons a call sent, by action id."""
    return {
        element["action_id"]: element for block in blocks_of(call, "actions") for element in block["elements"]
    }


def decision_line(call: Call) -> str:
    """The last context line of an edited request (what replaced the buttons)."""
    return str(blocks_of(call, "context")[-1]["elements"][0]["text"])


def queued_job_ids(connection: Redis) -> list[str]:
    """The ids of the jobs waiting on the default cluster's queue."""
    return Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids()


def thread_texts(fake_slack: FakeSlack, asked: Asked) -> list[str]:
    """The plain texts the bot said in the request's thread (not the request message)."""
    return [
        call.text
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("thread_ts") == asked.thread_ts and "blocks" not in call.body
    ]


def test_a_drain_that_needs_approval_posts_a_request_with_approve_and_deny_buttons(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """The request says who may approve and what will be lost; Approve asks to confirm; only the plan runs."""
    asked = ask(running, fake_slack, "drain node-3")
    found = buttons(asked.message)
    assert set(found) == {APPROVE_ACTION, DENY_ACTION}
    assert found[APPROVE_ACTION]["value"] == asked.approval_id
    loses = messages.what_is_lost(command="drain")
    assert loses is not None
    assert found[APPROVE_ACTION]["confirm"]["text"]["text"] == messages.confirm_text(loses=loses)
    shown = asked.message.shown_text()
    assert "`leads` (1 approval needed)" in shown
    assert "drain node/node-3" in shown
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_the_requester_approving_their_own_request_is_told_privately_that_it_does_not_count(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Alice approves her own drain: an ephemeral refusal to her, the message keeps its buttons."""
    asked = ask(running, fake_slack, "drain node-3")
    answer(running, asked, "approve", user=ALICE)
    [refusal] = fake_slack.wait_for("chat.postEphemeral")
    assert (refusal.body["user"], refusal.text) == (ALICE, approval_messages.self_approval_refused())
    assert refusal.body["thread_ts"] == asked.thread_ts
    assert fake_slack.calls("chat.update") == []
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_a_lead_clicking_approve_replaces_the_buttons_with_their_name_and_queues_the_job(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Bob clicks Approve: the message is edited (no buttons, approved by Bob), the drain is queued."""
    asked = ask(running, fake_slack, "drain node-3")
    click(running, asked, APPROVE_ACTION, user=BOB)
    edit = edit_of(fake_slack, asked)
    assert buttons(edit) == {}
    assert decision_line(edit).startswith(f":white_check_mark: Approved by <@{BOB}> at <!date^")
    fake_slack.wait_for("chat.postMessage", where=lambda call: asked.job_id in call.text)
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id), asked.job_id]
    assert approval_messages.approved(approvers=[BOB]) in thread_texts(fake_slack, asked)


def test_an_approval_typed_in_the_thread_decides_the_request_like_a_click(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Carol replies approve: same edit of the message, same job queued."""
    asked = ask(running, fake_slack, "drain node-3")
    answer(running, asked, "approve", user=CAROL)
    edit = edit_of(fake_slack, asked)
    assert buttons(edit) == {}
    assert f"Approved by <@{CAROL}>" in decision_line(edit)
    fake_slack.wait_for("chat.postMessage", where=lambda call: asked.job_id in call.text)
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id), asked.job_id]


def test_a_deny_with_a_reason_shows_who_denied_and_why_and_runs_nothing(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Bob replies deny with a reason: the message names him and the reason, the drain never queues."""
    asked = ask(running, fake_slack, "drain node-3")
    answer(running, asked, "deny not during the sale <!channel>", user=BOB)
    edit = edit_of(fake_slack, asked)
    assert buttons(edit) == {}
    line = decision_line(edit)
    assert f":no_entry: Denied by <@{BOB}>" in line
    assert line.endswith(": not during the sale &lt;!channel&gt;")
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.text.startswith("Denied by"))
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_a_request_past_its_deadline_expires_on_its_own_and_its_message_says_so(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, approval_clock: ApprovalClock
) -> None:
    """Nobody answers for 15 minutes: the expiry loop edits the message and tells the thread."""
    asked = ask(running, fake_slack, "drain node-3")
    approval_clock.skip(DRAIN_TTL_SECONDS + 1)
    edit = edit_of(fake_slack, asked)
    assert buttons(edit) == {}
    assert decision_line(edit).startswith(":hourglass: Expired at <!date^")
    [notice] = fake_slack.wait_for(
        "chat.postMessage",
        where=lambda call: call.body.get("thread_ts") == asked.thread_ts and "expired" in call.text,
    )
    assert notice.body["channel"] == "C_OPS"
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_a_rollback_needs_approval_and_warns_that_the_running_revision_is_replaced(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """rollback web: a request with buttons whose Approve confirms what the rollback throws away."""
    asked = ask(running, fake_slack, "rollback web")
    loses = messages.what_is_lost(command="rollback")
    assert loses is not None
    confirm = buttons(asked.message)[APPROVE_ACTION]["confirm"]
    assert confirm["text"]["text"] == messages.confirm_text(loses=loses)
    assert confirm["title"]["text"].startswith("Approve rollback deployment/web")
    assert queued_job_ids(connection) == [plan_job_id(asked.job_id)]


def test_the_plan_the_dry_run_reports_fills_in_the_request_and_lands_on_the_timeline(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """A worker's plan event for the plan job: the request message shows it, the timeline records it."""
    asked = ask(running, fake_slack, "drain node-3")
    request = RequestContext(
        job_id=plan_job_id(asked.job_id),
        user=ALICE,
        channel="C_OPS",
        thread_ts=asked.thread_ts,
        cluster="default",
    )
    Reporter(connection, request).emit_plan("Would evict 12 pods from node-3.")
    edit = edit_of(fake_slack, asked)
    assert "Would evict 12 pods from node-3." in json.dumps(edit.body["blocks"])
    assert set(buttons(edit)) == {APPROVE_ACTION, DENY_ACTION}
    timeline = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    scope = timeline.scope(channel="C_OPS")
    assert scope is not None
    plans = [
        entry.body for entry in timeline.page(scope.stream).entries if EntryKind.PLAN.value in entry.body
    ]
    assert any(plan_job_id(asked.job_id) in body for body in plans)
