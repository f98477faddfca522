"""The Home tab is pushed when something changes for a person, debounced, and its buttons answer requests."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from redis import Redis
from slack_sdk import WebClient

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalState
from bot.core.policy_file import demo_policy
from bot.dispatch import RQDispatcher
from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from bot.slack.posting.home_push import Debouncer, HomePusher
from bot.slack.views.home import HomePublisher, pending_requests
from shared.jobevents import EventKind, JobEvent
from shared.jobs import job_id_for
from shared.messages import slack as messages
from tests.slack.conftest import ALICE, CAROL, DAVE, MakeBot, RunningBot
from tests.slack.fake_slack import BOT_USER, TEAM, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.signed import post
from tests.slack.test_approvals import report_plan
from tests.slack.test_home import lines

PUSH_INTERVAL = 1.0
"""Least time between two pushes of one person's tab, in these tests."""


@pytest.fixture(name="make_bot")
def fixture_make_bot(make_bot: MakeBot) -> MakeBot:
    """The usual app, pushing Home tabs at most once a second per person."""
    return lambda **options: make_bot(**options, home_push_interval=PUSH_INTERVAL)


def publishes_for(fake_slack: FakeSlack, user: str) -> int:
    """How many times ``user``'s Home tab was published."""
    return len([call for call in fake_slack.calls("views.publish") if call.body.get("user_id") == user])


def home_buttons(view: Mapping[str, Any]) -> dict[str, str]:
    """The Approve / Deny buttons on a Home view: action id to value (the request's id)."""
    return {
        element["action_id"]: element["value"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def click_on_home(running: RunningBot, *, user: str, action_id: str, approval_id: str) -> int:
    """Click a button on ``user``'s Home tab, as Slack sends it: a view container, no channel, no thread."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home", "blocks": []},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"home:{approval_id}",
                "value": approval_id,
                "action_ts": f"{int(time.time())}.{time.monotonic_ns() % 1_000_000:06d}",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status, _ = post(running.slack.events_url, body, content_type="application/x-www-form-urlencoded")
    return status


def ask_to_drain(running: RunningBot, connection: Redis) -> str:
    """Alice asks to drain node-3, which waits for a lead; the request's id."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> drain node-3", user=ALICE, ts=ts, kind="app_mention")
    )
    report_plan(connection, job_id=job_id_for(channel="C_OPS", message_ts=ts), thread_ts=ts)
    wait_until(lambda: len(pending_requests(connection)) == 1, what="the drain's approval request")
    return pending_requests(connection)[0].approval_id


@pytest.mark.redis
def test_an_approvers_home_is_pushed_when_a_request_opens_and_again_once_it_is_approved_from_home(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Carol never opened the tab: it shows the drain with buttons, her click approves it, the tab empties."""
    approval_id = ask_to_drain(running, connection)
    wait_until(lambda: CAROL in fake_slack.home_views, what="Carol's pushed Home tab")
    view = fake_slack.home_views[CAROL]
    assert messages.home_approvals_heading(count=1) in lines(view)
    assert home_buttons(view) == {APPROVE_ACTION: approval_id, DENY_ACTION: approval_id}

    assert click_on_home(running, user=CAROL, action_id=APPROVE_ACTION, approval_id=approval_id) == 200
    wait_until(
        lambda: messages.home_no_approvals() in lines(fake_slack.home_views[CAROL]),
        what="Carol's tab without the request",
    )
    decided = ApprovalStore(connection).get(approval_id)
    assert decided is not None and decided.state is ApprovalState.APPROVED
    assert decided.approved_by == (CAROL,)
    assert publishes_for(fake_slack, CAROL) == 2  # one per change: opened, then decided
    assert DAVE not in fake_slack.home_views  # a viewer is nobody's approver: nothing pushed to him


@pytest.mark.redis
def test_a_home_click_by_someone_who_may_not_approve_is_refused_like_a_typed_answer(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """Dave forges an Approve from Home: the stored request decides, he is told privately, it stays pending."""
    approval_id = ask_to_drain(running, connection)
    click_on_home(running, user=DAVE, action_id=APPROVE_ACTION, approval_id=approval_id)
    [refusal] = fake_slack.wait_for("chat.postEphemeral", where=lambda call: call.body.get("user") == DAVE)
    assert refusal.body["channel"] == "C_OPS"
    assert [request.approval_id for request in pending_requests(connection)] == [approval_id]


@pytest.mark.redis
def test_a_home_click_naming_no_request_does_nothing(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis
) -> None:
    """An unknown id in the button: no thread to answer in, so nothing is said or changed."""
    approval_id = ask_to_drain(running, connection)
    assert click_on_home(running, user=CAROL, action_id=APPROVE_ACTION, approval_id="apr_nope") == 200
    click_on_home(running, user=DAVE, action_id=APPROVE_ACTION, approval_id=approval_id)
    fake_slack.wait_for("chat.postEphemeral", where=lambda call: call.body.get("user") == DAVE)
    assert [call.body.get("user") for call in fake_slack.calls("chat.postEphemeral")] == [DAVE]
    assert [request.approval_id for request in pending_requests(connection)] == [approval_id]


@pytest.mark.redis
def test_the_requesters_home_is_pushed_when_their_job_finishes(
    fake_slack: FakeSlack, connection: Redis
) -> None:
    """A final job event pushes the tab of whoever asked; progress does not."""
    publisher = HomePublisher(
        policy=demo_policy(), jobs=RQDispatcher(connection), cluster="default", pending=list
    )
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    pusher = HomePusher(publisher=publisher, client=client, policy=demo_policy(), interval=PUSH_INTERVAL)
    pusher.start()
    try:
        event = JobEvent(
            job_id="j1", kind=EventKind.PROGRESS, text="1 of 3", channel="C_OPS", thread_ts="1.1", at=1.0
        )
        pusher.job_events([event, dataclasses.replace(event, user=CAROL)])
        pusher.job_events([dataclasses.replace(event, kind=EventKind.SUCCEEDED, user=ALICE)])
        wait_until(lambda: ALICE in fake_slack.home_views, what="Alice's pushed tab")
    finally:
        pusher.stop()
    assert list(fake_slack.home_views) == [ALICE]


def test_the_first_change_is_published_at_once() -> None:
    """Nobody published yet: due now."""
    debouncer = Debouncer(interval=3.0)
    debouncer.ask(CAROL, now=100.0)
    assert debouncer.take_due(now=100.0) == [CAROL]
    assert debouncer.next_due() is None


def test_a_storm_of_changes_is_one_publish_per_interval_and_the_last_change_is_not_lost() -> None:
    """A hundred changes in one second after a publish: one more publish, when the interval is up."""
    debouncer = Debouncer(interval=3.0)
    debouncer.ask(CAROL, now=100.0)
    assert debouncer.take_due(now=100.0) == [CAROL]
    for n in range(100):
        debouncer.ask(CAROL, now=100.0 + n / 100)
    assert debouncer.take_due(now=102.9) == []
    assert debouncer.next_due() == 103.0
    assert debouncer.take_due(now=103.0) == [CAROL]
    assert debouncer.take_due(now=200.0) == []


def test_people_are_debounced_apart() -> None:
    """Carol's recent publish does not hold back Alice's."""
    debouncer = Debouncer(interval=3.0)
    debouncer.ask(CAROL, now=100.0)
    debouncer.take_due(now=100.0)
    debouncer.ask(CAROL, now=101.0)
    debouncer.ask(ALICE, now=101.0)
    assert debouncer.take_due(now=101.0) == [ALICE]
    assert debouncer.take_due(now=103.0) == [CAROL]
