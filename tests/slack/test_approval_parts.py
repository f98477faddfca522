"""The parts behind approval messages: what they show, how exports are cut, what sees the job events."""

from __future__ import annotations

import dataclasses
from typing import Any

import fakeredis
from slack_sdk.models.blocks import Block

from bot.core.approvals import ApprovalRequest, ApprovalState, new_request
from bot.core.policy import ApprovalRequirement
from bot.slack.app import build_web_client
from bot.slack.posting.approval_posts import ApprovalPosts
from bot.slack.posting.recording import RecordingSource
from bot.slack.views.approval_view import approval_blocks
from shared.invocation import Invocation
from shared.jobevents import EventKind, JobEvent
from shared.messages import slack as messages
from tests.slack.fake_slack import FakeSlack

REQUIREMENT = ApprovalRequirement(approvers=("leads", "U_BOB", "S_ONCALL"), count=2, ttl_seconds=900)
THREAD = "1700000000.000100"


def pending(description: str = "drain node/node-3", *, command: str | None = None) -> ApprovalRequest:
    """A pending request for ``description``, asked by Alice; its command is the description's first word
    unless ``command`` names it (the record holds it as data)."""
    name = command if command is not None else description.split(" ", 1)[0]
    return new_request(
        command=Invocation(name=name, arguments={}),
        approval_id="apr-1",
        job_id="job-1",
        requester="U_ALICE",
        channel="C_OPS",
        thread_ts=THREAD,
        cluster="default",
        description=description,
        requirement=REQUIREMENT,
        now=1_700_000_000.0,
    )


def valid(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks, after slack_sdk's own models checked them against Slack's limits."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    return blocks


def plan_event(job_id: str, text: str) -> JobEvent:
    """A plan a worker reported."""
    return JobEvent(job_id=job_id, kind=EventKind.PLAN, text=text, channel="C_OPS", thread_ts=THREAD, at=1.0)


def confirm_of(request: ApprovalRequest) -> dict[str, Any] | None:
    """The confirm dialog of the request's Approve button, if it has one."""
    [actions] = [block for block in approval_blocks(request, plan=None) if block["type"] == "actions"]
    confirm: dict[str, Any] | None = actions["elements"][0].get("confirm")
    return confirm


def test_what_a_request_loses_comes_from_the_command_its_record_holds_not_from_its_words() -> None:
    """A description that does not start with the command's name still warns: the record says it is a drain."""
    request = pending("evict every pod from node/node-3", command="drain")
    confirm = confirm_of(request)
    assert confirm is not None
    assert messages.what_is_lost(command="drain") in confirm["text"]["text"]
    assert confirm_of(pending("drain the logs of web", command="cordon")) is None


def test_a_request_stored_by_an_earlier_version_says_what_it_lacks_and_still_asks_to_confirm() -> None:
    """Its record has no command: what it loses is unknown, and the view says so rather than guess."""
    record = pending("cordon node/node-3").to_json()
    del record["command"]
    legacy = ApprovalRequest.from_json(record)
    assert legacy.command is None
    confirm = confirm_of(legacy)
    assert confirm is not None and messages.loss_not_recorded() in confirm["text"]["text"]
    valid(approval_blocks(legacy, plan=None))


def test_every_destructive_request_asks_to_confirm_and_stays_within_slacks_limits() -> None:
    """drain, maintain, rollback, scale, upgrades and etcd restore all get a confirm dialog that fits."""
    for command in messages.destructive_commands():
        blocks = valid(approval_blocks(pending(f"{command} x", command=command), plan=None))
        [actions] = [block for block in blocks if block["type"] == "actions"]
        assert "confirm" in actions["elements"][0], command


def test_a_request_that_loses_nothing_has_no_confirm_dialog() -> None:
    """cordon is undone in a moment: Approve needs no confirmation."""
    blocks = valid(approval_blocks(pending("cordon node/node-3"), plan=None))
    [actions] = [block for block in blocks if block["type"] == "actions"]
    assert "confirm" not in actions["elements"][0]


def test_approvers_are_named_people_groups_and_policy_groups() -> None:
    """A user id is a mention, a Slack user group a group mention, a policy group stays code."""
    text = messages.approvers_text(("leads", "U_BOB", "S_ONCALL"), count=2)
    assert text == "`leads`, <@U_BOB>, <!subteam^S_ONCALL> (2 approvals needed)"


def test_an_expired_request_says_nobody_decided() -> None:
    """Expiry has no decider: the line gives the state and the time only."""
    expired = dataclasses.replace(pending(), state=ApprovalState.EXPIRED, decided_at=1_700_000_900.0)
    blocks = valid(approval_blocks(expired, plan="Would evict 3 pods."))
    assert all(block["type"] != "actions" for block in blocks)
    assert blocks[-1]["elements"][0]["text"].startswith(":hourglass: Expired at <!date^1700000900^")


def test_a_long_export_is_cut_with_a_note_and_never_inside_an_entity() -> None:
    """50,000 characters of ``<`` become 1,000 shown, whole ``&lt;`` entities only, and a note."""
    text = messages.export_message(text="Export ready.", content="<" * 50_000, limit=1_002)
    body = text.split("```")[1].strip("\n")
    assert body == "&lt;" * 250
    assert "Only the first 1,000 of 200,000 characters are shown" in text


def test_a_short_export_is_shown_whole_and_inert() -> None:
    """No note, and a ping in a note someone wrote stays text."""
    text = messages.export_message(text="Export ready.", content="note: <!channel> ```", limit=1_000)
    assert text.startswith("Export ready.\n```\n")
    assert "<!channel>" not in text
    assert text.count("```") == 2
    assert "Only the first" not in text


class ListSource:
    """Job events handed over by the test."""

    def __init__(self, events: list[JobEvent]) -> None:
        self.events = events

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """Everything not read yet."""
        del block_ms, count
        taken, self.events = self.events, []
        return taken


def test_a_recording_source_shows_each_batch_to_its_sinks_and_survives_a_failing_one() -> None:
    """The cards still get the events when a sink raises, and the other sinks saw them first."""
    seen: list[list[JobEvent]] = []

    def broken(_events: list[JobEvent]) -> None:
        raise ConnectionError("Redis went away")

    events = [plan_event("job-1-plan", "Would evict 3 pods.")]
    source = RecordingSource(ListSource(list(events)), sinks=[broken, seen.append])
    assert source.read() == events
    assert seen == [events]
    assert source.read() == []
    assert seen == [events]


def test_a_plan_reported_before_its_request_was_posted_is_shown_when_it_is(fake_slack: FakeSlack) -> None:
    """The dry-run may outrun the post: its plan is kept and the request goes out with it."""
    posts = ApprovalPosts(fakeredis.FakeRedis())
    client = build_web_client(token="xoxb-test", base_url=fake_slack.url)
    posts.show_plans(
        client, [plan_event("job-1-plan", "Would evict 3 pods."), plan_event("job-2", "Unrelated.")]
    )
    assert fake_slack.calls("chat.update") == []
    ts = posts.post_request(client, pending(), text="Approval needed.", channel="C_OPS")
    [post] = fake_slack.calls("chat.postMessage")
    assert "Would evict 3 pods." in post.shown_text()
    found = posts.find("apr-1")
    assert found is not None
    assert (found.channel, found.ts, found.plan) == ("C_OPS", ts, "Would evict 3 pods.")


def test_a_decision_edits_the_request_once(fake_slack: FakeSlack) -> None:
    """The same decision reported twice (a late answer) edits the message only the first time."""
    posts = ApprovalPosts(fakeredis.FakeRedis())
    client = build_web_client(token="xoxb-test", base_url=fake_slack.url)
    posts.post_request(client, pending(), text="Approval needed.", channel="C_OPS")
    denied = dataclasses.replace(
        pending(), state=ApprovalState.DENIED, decided_by="U_BOB", decided_at=1_700_000_100.0, reason="no"
    )
    assert posts.show_decision(client, denied)
    assert not posts.show_decision(client, denied)
    [edit] = fake_slack.calls("chat.update")
    assert edit.body["text"] == messages.approval_decided(
        decision="denied", by="U_BOB", at=1_700_000_100.0, reason="no"
    )
