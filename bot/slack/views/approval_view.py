"""What an approval request message shows, worked out from the stored request and its plan.

Pure functions, no Slack calls: :func:`approval_blocks` gives the blocks for the request as it stands
(Approve/Deny buttons while it is pending, who decided and when once it is not), so posting the
request, showing its plan and showing its decision all render the same way. Commands that destroy
something (drain, maintain, rollback, scale, upgrades, etcd restore) say what will be lost, and their
Approve button asks for confirmation. A request that needs more than one approval shows who has
approved so far (``1 of 2 approvals: @bob``) above its buttons, which stay until it is decided.
"""

from __future__ import annotations

from bot.core.approvals import ApprovalRequest, ApprovalState
from bot.slack.views.blocks import ApprovalView, Block, approval_decided, approval_request, context
from shared.messages import slack as messages


def what_it_loses(request: ApprovalRequest) -> str | None:
    """What approving ``request`` destroys for good, from the command its record holds as data.

    A request stored by an earlier version holds no command: what it loses is not known, and the
    view says so (and still asks to confirm) rather than guess from its description.
    """
    if request.command is None:
        return messages.loss_not_recorded()
    return messages.what_is_lost(command=request.command.name)


def approval_view(request: ApprovalRequest, *, plan: str | None) -> ApprovalView:
    """The view of ``request``; ``plan`` is the dry-run's report (chat-safe), None until it arrives."""
    loses = what_it_loses(request)
    lines = [messages.approval_plan_heading()]
    lines.extend(plan.splitlines() if plan else [messages.approval_plan_waiting()])
    if loses is not None:
        lines.append(messages.approval_loses(loses=loses))
    return ApprovalView(
        approval_id=request.approval_id,
        description=request.description,
        requester=request.requester,
        approvers=messages.approvers_text(request.approvers, count=request.count),
        expires_at=request.expires_at,
        plan=lines,
        loses=loses,
    )


def approval_blocks(request: ApprovalRequest, *, plan: str | None) -> list[Block]:
    """The blocks of the request message as ``request`` stands now."""
    view = approval_view(request, plan=plan)
    if request.state is ApprovalState.PENDING:
        blocks = approval_request(view)
        progress = approval_progress(request)
        if progress is not None:
            actions = next(i for i, block in enumerate(blocks) if block["type"] == "actions")
            blocks.insert(actions, context(progress))
        return blocks
    return approval_decided(
        view,
        decision=request.state.value,
        by=request.decided_by,
        at=request.decided_at if request.decided_at is not None else request.expires_at,
        reason=request.reason,
    )


def approval_progress(request: ApprovalRequest) -> str | None:
    """The ``N of M approvals: @a, @b`` line of a request that has some approvals but needs more."""
    if not request.votes or not request.state.is_open:
        return None
    return messages.approval_progress(
        have=len(request.votes), need=request.count, approvers=request.approved_by
    )
