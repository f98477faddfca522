"""The approval state machine, answer by answer, without Redis."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core import approvals
from bot.core.approvals import ApprovalRequest, ApprovalState, Outcome
from bot.core.policy import ApprovalRequirement, Group, Policy, Rule

SRE = ("U0ALICE", "U0BOB", "U0CAROL")
POLICY = Policy(
    rules=(
        Rule(commands=frozenset({"drain"}), allow=("*",), approval=ApprovalRequirement(("sre",), 2, 600)),
    ),
    groups=(Group("sre", frozenset(SRE)), Group("oncall", frozenset({"S0ONCALL"}))),
)
T0 = 1_800_000_000.0


def pending(
    *, count: int = 2, approvers: tuple[str, ...] = ("sre",), requester: str = "U0DAVE"
) -> ApprovalRequest:
    """A fresh request for ``drain node/n1`` opened at T0 with a ten-minute deadline."""
    return approvals.new_request(
        approval_id="apr-1",
        job_id="job-1",
        requester=requester,
        channel="C1",
        thread_ts="100.1",
        cluster="prod",
        description="drain node/n1",
        requirement=ApprovalRequirement(approvers, count, 600),
        now=T0,
        witnesses={"node/n1": "41"},
    )


def test_a_new_request_is_pending_until_its_deadline() -> None:
    """A request starts pending, with its deadline ttl seconds after creation."""
    request = pending()
    assert request.state is ApprovalState.PENDING
    assert request.expires_at == T0 + 600
    assert request.requirement == ApprovalRequirement(("sre",), 2, 600)


def test_the_requester_cannot_approve_their_own_request() -> None:
    """Self-approval is refused even when the requester is an approver."""
    answer = approvals.approve(pending(requester="U0ALICE"), policy=POLICY, user="U0ALICE", now=T0 + 1)
    assert answer.outcome is Outcome.SELF_APPROVAL
    assert not answer.changed
    assert answer.request.votes == ()
    assert "another approver" in answer.reply


def test_someone_outside_the_approver_groups_is_refused() -> None:
    """Only people the requirement names count."""
    answer = approvals.approve(pending(), policy=POLICY, user="U0EVE", now=T0 + 1)
    assert answer.outcome is Outcome.NOT_APPROVER
    assert answer.request.state is ApprovalState.PENDING


def test_membership_of_a_slack_user_group_makes_an_approver() -> None:
    """A user in a Slack user group the approver group lists may approve."""
    answer = approvals.approve(
        pending(count=1, approvers=("oncall",)),
        policy=POLICY,
        user="U0EVE",
        user_groups=frozenset({"S0ONCALL"}),
        now=T0 + 1,
    )
    assert answer.outcome is Outcome.APPROVED


def test_two_of_three_needs_two_different_people() -> None:
    """The first approval is recorded, the second from someone else decides."""
    first = approvals.approve(pending(), policy=POLICY, user="U0ALICE", now=T0 + 1)
    assert (first.outcome, first.request.state) == (Outcome.RECORDED, ApprovalState.PENDING)
    again = approvals.approve(first.request, policy=POLICY, user="U0ALICE", now=T0 + 2)
    assert again.outcome is Outcome.ALREADY_COUNTED
    assert again.request.approved_by == ("U0ALICE",)
    second = approvals.approve(first.request, policy=POLICY, user="U0BOB", now=T0 + 3)
    assert second.outcome is Outcome.APPROVED
    assert second.decided
    assert second.request.state is ApprovalState.APPROVED
    assert second.request.approved_by == ("U0ALICE", "U0BOB")
    assert (second.request.decided_at, second.request.decided_by) == (T0 + 3, "U0BOB")


def test_an_answer_after_the_deadline_expires_the_request() -> None:
    """A late approval does not count: the request expires instead."""
    answer = approvals.approve(pending(count=1), policy=POLICY, user="U0ALICE", now=T0 + 600)
    assert answer.outcome is Outcome.EXPIRED
    assert answer.decided
    assert answer.request.state is ApprovalState.EXPIRED
    assert answer.request.votes == ()


def test_an_expired_request_stays_expired() -> None:
    """Answers to an expired request are reported and change nothing."""
    expired = approvals.expire(pending(), now=T0 + 601).request
    answer = approvals.approve(expired, policy=POLICY, user="U0ALICE", now=T0 + 602)
    assert (answer.outcome, answer.changed) == (Outcome.EXPIRED, False)


def test_expire_leaves_a_request_still_in_time_alone() -> None:
    """The sweeper does nothing to a request before its deadline."""
    answer = approvals.expire(pending(), now=T0 + 599)
    assert (answer.outcome, answer.changed) == (Outcome.STILL_PENDING, False)


def test_deny_needs_no_quorum_and_keeps_its_reason() -> None:
    """One approver's deny decides a 2-of-3 request, with the reason recorded."""
    answer = approvals.deny(pending(), policy=POLICY, user="U0CAROL", reason="peak traffic", now=T0 + 5)
    assert answer.outcome is Outcome.DENIED
    assert answer.request.state is ApprovalState.DENIED
    assert (answer.request.decided_by, answer.request.reason) == ("U0CAROL", "peak traffic")
    assert "peak traffic" in answer.reply


def test_deny_by_a_non_approver_or_the_requester_is_refused() -> None:
    """Deny follows the same eligibility rules as approve; the requester cancels instead."""
    outsider = approvals.deny(pending(), policy=POLICY, user="U0EVE", now=T0 + 1)
    requester = approvals.deny(pending(), policy=POLICY, user="U0DAVE", now=T0 + 1)
    assert (outsider.outcome, requester.outcome) == (Outcome.NOT_APPROVER, Outcome.REQUESTER_DENY)
    assert not outsider.changed and not requester.changed


@pytest.mark.parametrize("state", [ApprovalState.APPROVED, ApprovalState.DENIED, ApprovalState.CANCELLED])
def test_a_decided_request_stays_decided(state: ApprovalState) -> None:
    """No answer changes a request that is no longer pending."""
    decided = dataclasses.replace(pending(), state=state)
    for answer in (
        approvals.approve(decided, policy=POLICY, user="U0ALICE", now=T0 + 1),
        approvals.deny(decided, policy=POLICY, user="U0ALICE", now=T0 + 1),
        approvals.cancel(decided, user="U0DAVE", now=T0 + 1),
        approvals.expire(decided, now=T0 + 10_000),
    ):
        assert (answer.outcome, answer.changed, answer.request.state) == (
            Outcome.ALREADY_DECIDED,
            False,
            state,
        )


def test_the_requester_can_cancel_a_pending_request_and_nobody_else_can() -> None:
    """Cancel withdraws the request only when the requester asks."""
    refused = approvals.cancel(pending(), user="U0ALICE", now=T0 + 1)
    assert (refused.outcome, refused.changed) == (Outcome.NOT_REQUESTER, False)
    withdrawn = approvals.cancel(pending(), user="U0DAVE", now=T0 + 1)
    assert withdrawn.outcome is Outcome.CANCELLED
    assert withdrawn.request.state is ApprovalState.CANCELLED


def test_an_approval_is_void_when_a_target_changed_since_the_plan() -> None:
    """The job checks resourceVersions before acting; a moved target voids the approval."""
    approved = approvals.approve(pending(count=1), policy=POLICY, user="U0ALICE", now=T0 + 1).request
    still = approvals.verify_plan(approved, observed={"node/n1": "41"}, now=T0 + 2)
    assert (still.outcome, still.changed) == (Outcome.STILL_VALID, False)
    moved = approvals.verify_plan(approved, observed={"node/n1": "57"}, now=T0 + 2)
    assert moved.outcome is Outcome.VOIDED
    assert moved.request.state is ApprovalState.VOIDED
    assert moved.request.reason == "node/n1"
    gone = approvals.verify_plan(approved, observed={}, now=T0 + 2)
    assert gone.outcome is Outcome.VOIDED


def test_a_request_survives_its_json_form() -> None:
    """What the store writes reads back as the same request."""
    request = approvals.approve(pending(), policy=POLICY, user="U0ALICE", now=T0 + 1).request
    assert ApprovalRequest.from_json(request.to_json()) == request


def test_approval_ids_follow_job_ids() -> None:
    """One request per job, named after it."""
    assert approvals.approval_id_for(job_id="job-0123456789") == "apr-0123456789"
