"""Entries for what the bot and the workers do: approvals and job events become timeline entries."""

from __future__ import annotations

from bot.core import approvals
from bot.core.policy import ApprovalRequirement, Group, Policy, Rule
from bot.core.timeline import EntryKind, approval_answer_entry, approval_request_entry, job_event_entry
from shared.jobevents import EventKind, JobEvent

T0 = 1_800_000_000.0
POLICY = Policy(
    rules=(Rule(commands=frozenset({"drain"}), allow=("*",)),), groups=(Group("sre", frozenset({"U0BOB"})),)
)
REQUEST = approvals.new_request(
    approval_id="apr-1", job_id="job-1", requester="U0DAVE", channel="C1", thread_ts="100.1", cluster="prod",
    description="drain node/n1", requirement=ApprovalRequirement(("sre",), 1, 600), now=T0,
    witnesses={"node/n1": "41"},
)  # fmt: skip


def test_an_opened_request_is_one_entry_whatever_the_retries() -> None:
    """The request entry carries its ids and plan, with an id derived from the request."""
    entry = approval_request_entry(REQUEST)
    assert (entry.kind, entry.actor, entry.job_id, entry.approval_id) == (
        EntryKind.APPROVAL_REQUESTED,
        "U0DAVE",
        "job-1",
        "apr-1",
    )
    assert entry.details["witnesses"] == {"node/n1": "41"}
    assert approval_request_entry(REQUEST).event_id == entry.event_id


def test_a_refused_answer_is_recorded_for_the_audit() -> None:
    """A self-approval attempt is on the timeline as an answer, not a decision."""
    answer = approvals.approve(REQUEST, policy=POLICY, user="U0DAVE", now=T0 + 1)
    entry = approval_answer_entry(answer, actor="U0DAVE", at=T0 + 1, event_id="C1-101.2")
    assert entry is not None
    assert (entry.kind, entry.details["outcome"], entry.event_id) == (
        EntryKind.APPROVAL_ANSWERED,
        "self approval",
        "C1-101.2",
    )


def test_a_decision_is_recorded_with_who_decided() -> None:
    """The approval that completes the quorum is an approval_decided entry."""
    answer = approvals.approve(REQUEST, policy=POLICY, user="U0BOB", now=T0 + 2)
    entry = approval_answer_entry(answer, actor="U0BOB", at=T0 + 2)
    assert entry is not None
    assert entry.kind is EntryKind.APPROVAL_DECIDED
    assert (
        entry.summary == "drain node/n1 approved by <@U0BOB>"
    )  # a mention: Slack and the page show the name
    assert entry.details["approved_by"] == ["U0BOB"]


def test_a_check_that_changed_nothing_is_not_recorded() -> None:
    """The sweeper finding a request still in time adds nothing."""
    assert approval_answer_entry(approvals.expire(REQUEST, now=T0 + 1), actor="bot", at=T0 + 1) is None


def test_a_job_event_becomes_an_entry_with_a_stable_id() -> None:
    """The same event published twice maps to the same event id, so it is appended once."""
    event = JobEvent(
        job_id="job-1", kind=EventKind.SUCCEEDED, text="node/n1 drained", channel="C1", thread_ts="100.1",
        at=T0 + 200, details={"evicted": 12},
    )  # fmt: skip
    entry = job_event_entry(event, actor="worker-prod", cluster="prod", target="node/n1")
    assert (entry.kind, entry.at, entry.summary, entry.details) == (
        EntryKind.JOB_SUCCEEDED,
        T0 + 200,
        "node/n1 drained",
        {"evicted": 12},
    )
    assert job_event_entry(event, actor="worker-prod").event_id == entry.event_id
