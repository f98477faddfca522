"""The App Home tab: each person sees what waits for their approval, the jobs in flight, their commands."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from redis import Redis
from slack_sdk import WebClient

from bot.approval_store import ApprovalStore
from bot.core.approvals import ApprovalRequest
from bot.core.policy import ApprovalRequirement, allowed_commands
from bot.core.policy_file import demo_policy, load_policy
from bot.dispatch import RQDispatcher
from bot.slack.ingress.dedupe import Deduplicator
from bot.slack.listeners.handlers import SlackListeners
from bot.slack.views.blocks import SECTION_LIMIT
from bot.slack.views.home import (
    HomeContent,
    HomePublisher,
    awaiting,
    cheat_sheet,
    home_view,
    pending_requests,
)
from shared.jobs import JobState, JobSummary, job_id_for
from shared.messages import slack as messages
from shared.reference import command_reference
from shared.vocabulary import READ_ONLY_COMMANDS
from tests.slack.conftest import ALICE, BOB, CAROL, DAVE, RunningBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import wait_until
from tests.slack.test_approvals import report_plan

BLOCKS_LIMIT = 100
"""Most blocks a Home tab view may have."""


def texts(view: Mapping[str, Any]) -> Iterator[str]:
    """Every piece of text the view shows, block by block."""
    for block in view["blocks"]:
        if "text" in block:
            yield str(block["text"]["text"])
        for element in block.get("elements") or []:
            yield str(element["text"])


def lines(view: Mapping[str, Any]) -> list[str]:
    """The lines the view shows."""
    return [line for text in texts(view) for line in text.split("\n")]


def usage_lines(names: set[str]) -> set[str]:
    """The cheat-sheet lines of the commands named."""
    return {
        messages.home_command_line(usage=command.usage, summary=command.summary)
        for command in command_reference()
        if command.name in names
    }


def open_home(running: RunningBot, fake_slack: FakeSlack, user: str) -> Mapping[str, Any]:
    """Open the bot's Home tab as ``user`` and return the view published for them."""
    fake_slack.home_views.pop(user, None)
    status, _ = running.slack.send_event(
        {"type": "app_home_opened", "user": user, "channel": f"D_{user}", "tab": "home", "event_ts": "1.1"}
    )
    assert status == 200
    wait_until(lambda: user in fake_slack.home_views, what=f"the home view of {user}")
    return fake_slack.home_views[user]


def mention(running: RunningBot, command: str, *, user: str) -> str:
    """Mention the bot with ``command``; the message's ts."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=user, ts=ts, kind="app_mention")
    )
    return ts


@pytest.fixture(name="busy")
def fixture_busy(running: RunningBot, connection: Redis) -> str:
    """Alice's drain waits for a lead's approval and her cordon is queued; the cordon's job id."""
    drain = mention(running, "drain node-3", user=ALICE)
    report_plan(connection, job_id=job_id_for(channel="C_OPS", message_ts=drain), thread_ts=drain)
    cordon = job_id_for(channel="C_OPS", message_ts=mention(running, "cordon node-1", user=ALICE))
    wait_until(lambda: len(pending_requests(connection)) == 1, what="the drain's approval request")
    jobs = RQDispatcher(connection)
    wait_until(lambda: cordon in {job.job_id for job in jobs.recent("default")}, what="the cordon job")
    return cordon


@pytest.mark.redis
def test_a_lead_sees_the_request_they_can_approve_the_queued_jobs_and_their_commands(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, busy: str
) -> None:
    """Carol (lead only): Alice's drain to answer, the cordon in the queue, read-only commands and approve."""
    view = open_home(running, fake_slack, CAROL)
    shown = lines(view)
    [request] = pending_requests(connection)
    assert view["type"] == "home"
    assert messages.home_approvals_heading(count=1) in shown
    assert (
        messages.home_approval_line(
            description=request.description,
            requester=ALICE,
            channel="C_OPS",
            approvals=0,
            needed=1,
            expires_at=request.expires_at,
        )
        in shown
    )
    assert any(busy in line and "queued" in line and f"<@{ALICE}>" in line for line in shown)
    assert usage_lines({"nodes", "status", "approve", "deny"}) <= set(shown)
    assert not usage_lines({"cordon", "drain"}) & set(shown)


@pytest.mark.redis
def test_the_requester_is_never_asked_to_approve_their_own_request(
    running: RunningBot, fake_slack: FakeSlack, busy: str
) -> None:
    """Alice asked for the drain: nothing waits for her; she sees her jobs and may run drain, not approve."""
    shown = lines(open_home(running, fake_slack, ALICE))
    assert messages.home_no_approvals() in shown
    assert any(busy in line for line in shown)
    assert usage_lines({"drain", "cordon"}) <= set(shown)
    assert not usage_lines({"approve"}) & set(shown)


@pytest.mark.redis
def test_a_viewer_sees_no_requests_and_only_read_only_commands(
    running: RunningBot, fake_slack: FakeSlack, busy: str
) -> None:
    """Dave is no approver: the drain is not his to answer, and his cheat sheet lists only looking."""
    del busy
    shown = lines(open_home(running, fake_slack, DAVE))
    assert messages.home_no_approvals() in shown
    sheet = {line for line in shown if line.startswith("• `") and ": " in line and "·" not in line}
    readable = set(allowed_commands(demo_policy(), user=DAVE, channel="C_OPS", cluster="default"))
    assert readable and readable <= READ_ONLY_COMMANDS
    assert sheet == usage_lines(readable)


@pytest.mark.redis
def test_an_idle_cluster_says_nothing_is_running(running: RunningBot, fake_slack: FakeSlack) -> None:
    """With no job at all, the tab says so rather than showing an empty list."""
    shown = lines(open_home(running, fake_slack, BOB))
    assert messages.home_no_jobs(cluster="default") in shown
    assert messages.home_no_approvals() in shown


@pytest.mark.redis
def test_opening_the_messages_tab_publishes_nothing(fake_slack: FakeSlack, connection: Redis) -> None:
    """Only the Home tab is drawn; the Messages tab is Slack's own (the listener, called directly)."""
    home = HomePublisher(policy=demo_policy(), jobs=RQDispatcher(connection), cluster="default", pending=list)
    listeners = SlackListeners(
        engine=None,  # type: ignore[arg-type]  # never reached for app_home_opened
        dedupe=Deduplicator(connection),
        replies=None,  # type: ignore[arg-type]
        home=home,
    )
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    listeners.on_home_opened({"type": "app_home_opened", "user": BOB, "tab": "messages"}, client)
    assert fake_slack.calls("views.publish") == []
    listeners.on_home_opened({"type": "app_home_opened", "user": BOB, "tab": "home"}, client)
    assert list(fake_slack.home_views) == [BOB]


@pytest.mark.redis
def test_a_request_the_approver_already_approved_no_longer_waits_for_them(connection: Redis) -> None:
    """Two approvals needed, Bob gave his: it waits for Carol only."""
    store = ApprovalStore(connection)
    store.create(request(approval_id="apr_two", count=2))
    store.approve("apr_two", policy=demo_policy(), user=BOB)
    pending = pending_requests(connection)
    assert [r.approval_id for r in pending] == ["apr_two"]
    assert awaiting(pending, policy=demo_policy(), user=BOB, user_groups=frozenset()) == []
    assert [
        r.approval_id for r in awaiting(pending, policy=demo_policy(), user=CAROL, user_groups=frozenset())
    ] == ["apr_two"]


def request(*, approval_id: str, count: int = 1) -> ApprovalRequest:
    """A pending request by Alice that leads approve."""
    now = time.time()
    requirement = ApprovalRequirement(approvers=("leads",), count=count)
    return ApprovalRequest(
        approval_id=approval_id,
        job_id=f"job-{approval_id}",
        requester=ALICE,
        channel="C_OPS",
        thread_ts="1.000001",
        cluster="default",
        description="drain node/node-3",
        approvers=requirement.approvers,
        count=count,
        created_at=now,
        expires_at=now + 900,
    )


def test_a_slack_user_group_makes_its_members_approvers() -> None:
    """Approvers named as a Slack user group (S…): a member sees the request through that group."""
    policy = load_policy(
        "rules:\n  - commands: [drain]\n    allow: ['*']\n    approval: {approvers: [S_SRE]}\n"
    )
    pending = [dataclasses.replace(request(approval_id="apr_1"), approvers=("S_SRE",))]
    assert awaiting(pending, policy=policy, user=DAVE, user_groups=frozenset({"S_SRE"})) == pending
    assert awaiting(pending, policy=policy, user=DAVE, user_groups=frozenset()) == []


def test_under_a_channel_policy_the_cheat_sheet_is_what_they_may_run_in_those_channels() -> None:
    """The tab is opened in a DM the policy refuses; the sheet still lists what works in #ops."""
    policy = load_policy("channels: [C_OPS]\nrules:\n  - commands: [nodes, cordon]\n    allow: ['*']\n")
    sheet = cheat_sheet(policy, user=DAVE, user_groups=frozenset(), channel="D_DAVE", cluster="default")
    assert [command.name for command in sheet] == ["nodes", "cordon"]
    assert allowed_commands(policy, user=DAVE, channel="D_DAVE", cluster="default") == ()


def test_long_lists_are_cut_and_every_block_stays_within_slacks_limits() -> None:
    """150 requests and 150 jobs: at most 100 blocks, sections under 3000 characters, the rest counted."""
    content = HomeContent(
        approvals=[request(approval_id=f"apr_{n}") for n in range(150)],
        jobs=[
            JobSummary(
                job_id=f"job-{n}",
                description="cordon node/n1",
                status=JobState.QUEUED,
                enqueued_at=None,
                user=ALICE,
            )
            for n in range(150)
        ],
        cluster="default",
        commands=command_reference(),
        channels=None,
        at=time.time(),
    )
    view = home_view(content)
    assert len(view["blocks"]) <= BLOCKS_LIMIT
    assert all(len(text) <= SECTION_LIMIT for text in texts(view))
    assert lines(view).count(messages.home_more(count=130)) == 2
    assert usage_lines({command.name for command in command_reference()}) <= set(lines(view))


def test_a_deferred_job_is_listed_with_its_start() -> None:
    """A cordon waiting in RQ's scheduler shows when it starts, on the App Home."""
    content = HomeContent(
        approvals=[],
        jobs=[
            JobSummary(
                job_id="job-later",
                description="cordon node/n1",
                status=JobState.QUEUED,
                enqueued_at=None,
                user=ALICE,
                starts_at=1_700_341_200.0,
            )
        ],
        cluster="default",
        commands=command_reference(),
        channels=None,
        at=time.time(),
    )
    assert any("starts Sat 18 Nov 21:00 UTC" in text for text in texts(home_view(content)))
