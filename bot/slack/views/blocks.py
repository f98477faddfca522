"""Block Kit layouts the bot posts: job cards and approval requests, built with slack_sdk's models.

Pure builders, no Slack calls. Every block and element is made with :mod:`slack_sdk.models.blocks`
(``SectionBlock``, ``ActionsBlock``, ``ButtonElement``, ``ConfirmObject``…), which check Slack's
limits as they are written out; a :data:`Block` is that written-out JSON, as the Web API takes it.
The small helpers here (:func:`section`, :func:`context`, :func:`header`, :func:`actions`,
:func:`button`, :func:`confirm`) are what the other views build with. The wording comes from
:mod:`shared.messages.slack`, the limits from Slack's Block Kit reference (section text at most
3000 characters, button text 75, confirm title 100 and body 300). Text handed in is expected
chat-safe (engine and worker sentences are); anything a person typed is escaped by the message
functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.ingress.payloads import APPROVE_ACTION, DENY_ACTION
from shared.jobevents import EventKind
from shared.messages import slack as messages
from shared.text import shorten

Block = dict[str, Any]
"""One block as the Web API takes it: the JSON a :mod:`slack_sdk.models.blocks` block writes out."""

SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
CONFIRM_TITLE_LIMIT = 100
CONFIRM_TEXT_LIMIT = 300
CONFIRM_BUTTON_LIMIT = 30
HEADER_LIMIT = 150
"""Most characters of a header block's text."""

Style = Literal["primary", "danger"]


def mrkdwn(text: str) -> MarkdownTextObject:
    """A mrkdwn text object."""
    return MarkdownTextObject(text=text)


def plain(text: str, *, limit: int = SECTION_LIMIT) -> PlainTextObject:
    """A plain_text text object (Slack renders it literally: no mentions, no links)."""
    return PlainTextObject(text=shorten(text, limit=limit), emoji=True)


def section(text: str, *, block_id: str | None = None) -> Block:
    """A section of mrkdwn, cut to Slack's limit."""
    return SectionBlock(text=mrkdwn(shorten(text, limit=SECTION_LIMIT)), block_id=block_id).to_dict()


def context(*texts: str) -> Block:
    """A context block: small grey lines."""
    return ContextBlock(elements=[mrkdwn(shorten(text, limit=SECTION_LIMIT)) for text in texts]).to_dict()


def header(text: str) -> Block:
    """A header block (plain text, cut to Slack's limit)."""
    return HeaderBlock(text=plain(text, limit=HEADER_LIMIT)).to_dict()


def divider() -> Block:
    """A divider block."""
    return DividerBlock().to_dict()


def confirm(*, title: str, text: str, yes: str, no: str, style: Style | None = None) -> ConfirmObject:
    """A confirm dialog: ``title`` and the buttons plain text, ``text`` mrkdwn, each cut to Slack's limit."""
    return ConfirmObject(
        title=plain(title, limit=CONFIRM_TITLE_LIMIT),
        text=mrkdwn(shorten(text, limit=CONFIRM_TEXT_LIMIT)),
        confirm=plain(yes, limit=CONFIRM_BUTTON_LIMIT),
        deny=plain(no, limit=CONFIRM_BUTTON_LIMIT),
        style=style,
    )


def button(
    label: str,
    *,
    action_id: str,
    value: str,
    style: Style | None = None,
    confirm_with: ConfirmObject | None = None,
) -> ButtonElement:
    """A button whose ``value`` the listener of ``action_id`` reads; ``label`` cut to Slack's limit."""
    return ButtonElement(
        text=plain(label, limit=BUTTON_LIMIT),
        action_id=action_id,
        value=value,
        style=style,
        confirm=confirm_with,
    )


def actions(*elements: ButtonElement, block_id: str) -> Block:
    """An actions block of ``elements``."""
    return ActionsBlock(elements=list(elements), block_id=block_id).to_dict()


@dataclasses.dataclass(frozen=True)
class CardView:
    """What a job card shows: the job, its latest state, and the last thing it said."""

    job_id: str
    kind: EventKind
    text: str
    at: float


def job_card(view: CardView) -> list[Block]:
    """The blocks of a job card."""
    title = messages.card_title(job_id=view.job_id, kind=view.kind)
    return [
        section(f"{title}\n{view.text}", block_id=f"card:{view.job_id}"),
        context(messages.card_updated(at=view.at)),
    ]


def job_card_fallback(view: CardView) -> str:
    """The notification text that goes with :func:`job_card`."""
    return shorten(
        messages.card_fallback(job_id=view.job_id, kind=view.kind, text=view.text), limit=SECTION_LIMIT
    )


@dataclasses.dataclass(frozen=True)
class ApprovalView:
    """What an approval request message shows. ``plan`` lines and ``approvers`` must be chat-safe."""

    approval_id: str
    description: str
    requester: str
    approvers: str
    expires_at: float
    plan: Sequence[str] = ()
    loses: str | None = None
    """What approving will destroy, when anything; its presence adds a confirm dialog to Approve."""


def approval_request(view: ApprovalView) -> list[Block]:
    """An approval request: the plan, who may answer, and Approve / Deny buttons."""
    sure = None
    if view.loses is not None:
        sure = confirm(
            title=messages.confirm_title(description=view.description),
            text=messages.confirm_text(loses=view.loses),
            yes=messages.confirm_yes(),
            no=messages.confirm_no(),
            style="danger",
        )
    approve = button(
        messages.approve_button(),
        action_id=APPROVE_ACTION,
        value=view.approval_id,
        style="primary",
        confirm_with=sure,
    )
    deny = button(messages.deny_button(), action_id=DENY_ACTION, value=view.approval_id, style="danger")
    blocks = _approval_head(view)
    blocks.append(actions(approve, deny, block_id=f"decide:{view.approval_id}"))
    blocks.append(context(messages.approval_hint()))
    return blocks


def approval_decided(
    view: ApprovalView, *, decision: str, by: str | None, at: float, reason: str | None = None
) -> list[Block]:
    """The same request once decided: the buttons give way to who decided (None: nobody, it expired) and when."""
    line = messages.approval_decided(decision=decision, by=by, at=at, reason=reason)
    return [*_approval_head(view), context(line)]


def approval_fallback(view: ApprovalView) -> str:
    """The notification text of an approval request."""
    return messages.approval_fallback(description=view.description, requester=view.requester)


def _approval_head(view: ApprovalView) -> list[Block]:
    head = "\n".join(
        [
            messages.approval_heading(description=view.description),
            messages.approval_details(
                requester=view.requester, approvers=view.approvers, expires_at=view.expires_at
            ),
        ]
    )
    blocks = [section(head, block_id=f"request:{view.approval_id}")]
    if view.plan:
        blocks.append(section("\n".join(view.plan)))
    return blocks
