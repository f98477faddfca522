"""Block Kit layouts the bot posts: job cards and approval requests, as plain JSON-ready dicts.

Pure builders, no Slack calls: the wording comes from :mod:`shared.messages.slack`, the limits
from Slack's Block Kit reference (section text at most 3000 characters, button text 75, confirm
title 100 and body 300). Text handed in is expected chat-safe (engine and worker sentences are);
anything a person typed is escaped by the message functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from bot.slack.payloads import APPROVE_ACTION, DENY_ACTION
from shared.jobevents import EventKind
from shared.messages import slack as messages
from shared.text import shorten

Block = dict[str, Any]

SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
CONFIRM_TITLE_LIMIT = 100
CONFIRM_TEXT_LIMIT = 300


def mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def plain(text: str, *, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    """A plain_text text object (Slack renders it literally: no mentions, no links)."""
    return {"type": "plain_text", "text": shorten(text, limit=limit), "emoji": True}


def section(text: str, *, block_id: str | None = None) -> Block:
    """A section of mrkdwn, cut to Slack's limit."""
    block: Block = {"type": "section", "text": mrkdwn(shorten(text, limit=SECTION_LIMIT))}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    """A context block: small grey lines."""
    return {"type": "context", "elements": [mrkdwn(shorten(text, limit=SECTION_LIMIT)) for text in texts]}


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
    approve: Block = {
        "type": "button",
        "action_id": APPROVE_ACTION,
        "style": "primary",
        "value": view.approval_id,
        "text": plain(messages.approve_button(), limit=BUTTON_LIMIT),
    }
    if view.loses is not None:
        approve["confirm"] = {
            "title": plain(messages.confirm_title(description=view.description), limit=CONFIRM_TITLE_LIMIT),
            "text": mrkdwn(shorten(messages.confirm_text(loses=view.loses), limit=CONFIRM_TEXT_LIMIT)),
            "confirm": plain(messages.confirm_yes(), limit=30),
            "deny": plain(messages.confirm_no(), limit=30),
            "style": "danger",
        }
    deny: Block = {
        "type": "button",
        "action_id": DENY_ACTION,
        "style": "danger",
        "value": view.approval_id,
        "text": plain(messages.deny_button(), limit=BUTTON_LIMIT),
    }
    blocks = _approval_head(view)
    blocks.append({"type": "actions", "block_id": f"decide:{view.approval_id}", "elements": [approve, deny]})
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
