"""Block Kit layouts: valid under Slack's limits, buttons as specified, user text inert."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from bot.slack.views.blocks import ApprovalView, CardView, approval_decided, approval_request, job_card
from shared.jobevents import EventKind
from shared.messages import slack as messages


def validated(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks after slack_sdk's own model checks them (limits, required fields)."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    return blocks


VIEW = ApprovalView(
    approval_id="apr_42",
    description="drain node/node-3",
    requester="U_ALICE",
    approvers="<@U_BOB> and <@U_CAROL>",
    expires_at=1_700_000_900.0,
    plan=["• evict 12 pods", "• 1 pod has emptyDir data"],
    loses="emptyDir data of 1 pod",
)


def test_an_approval_request_has_approve_and_deny_buttons_with_a_confirm_for_destructive_plans() -> None:
    """Approve (primary, confirm dialog) and Deny (danger) carry the request id as an opaque value."""
    blocks = validated(approval_request(VIEW))
    [actions] = [block for block in blocks if block["type"] == "actions"]
    approve, deny = actions["elements"]
    assert (approve["action_id"], approve["style"], approve["value"]) == (APPROVE_ACTION, "primary", "apr_42")
    assert (deny["action_id"], deny["style"], deny["value"]) == (DENY_ACTION, "danger", "apr_42")
    assert approve["text"]["text"] == messages.approve_button()
    assert deny["text"]["text"] == messages.deny_button()
    assert approve["confirm"]["text"]["text"] == messages.confirm_text(loses="emptyDir data of 1 pod")
    assert "confirm" not in deny


def test_a_request_that_destroys_nothing_approves_without_a_dialog() -> None:
    """No ``loses``, no confirm dialog."""
    blocks = validated(approval_request(ApprovalView(**{**VIEW.__dict__, "loses": None})))
    [actions] = [block for block in blocks if block["type"] == "actions"]
    assert "confirm" not in actions["elements"][0]


def test_a_decided_request_replaces_its_buttons_with_who_decided() -> None:
    """After the decision no actions block is left, and the last line says who decided and when."""
    blocks = validated(approval_decided(VIEW, decision="approved", by="U_BOB", at=1_700_000_100.0))
    assert all(block["type"] != "actions" for block in blocks)
    assert blocks[-1]["elements"][0]["text"] == messages.approval_decided(
        decision="approved", by="U_BOB", at=1_700_000_100.0
    )


def test_user_text_in_an_approval_request_cannot_ping_or_link() -> None:
    """A description carrying <!channel> and a disguised link is shown inert."""
    view = ApprovalView(**{**VIEW.__dict__, "description": "scale <!channel> <https://evil|web>"})
    shown = str(validated(approval_request(view)))
    assert "<!channel>" not in shown
    assert "<https://evil" not in shown


def test_a_job_card_is_valid_and_stays_within_the_section_limit() -> None:
    """A huge last line is cut to fit Slack's 3000 characters."""
    [section, _context] = validated(
        job_card(CardView(job_id="job-1", kind=EventKind.PROGRESS, text="x" * 5000, at=1.0))
    )
    assert len(section["text"]["text"]) == 3000
