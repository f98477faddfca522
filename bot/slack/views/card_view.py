"""What a job card shows, as Block Kit: the job's state, then its Undo button once it has finished.

Pure builders shared by the renderer (:mod:`bot.slack.posting.cards`), which posts and updates cards, and the
Undo click (:mod:`bot.slack.listeners.card_undo`), which replaces the button by who asked for the undo. The
button's ``block_id`` names the job, so a click is checked against the stored card, never against
what the payload says the button runs.
"""

from __future__ import annotations

from bot.slack.posting.card_store import StoredCard
from bot.slack.views.blocks import Block, CardView, actions, button, confirm, context, job_card
from shared.messages import slack as messages

UNDO_ACTION = "job_card_undo"
"""The stable ``action_id`` of every card's Undo button."""

UNDO_BLOCK_PREFIX = "undo:"
"""The Undo button's block id is this, then the job id."""

VALUE_LIMIT = 2000
"""Slack's limit on a button's value."""


def card_view(card: StoredCard) -> CardView:
    """The job card view of a stored card."""
    return CardView(job_id=card.job_id, kind=card.kind, text=card.text, at=card.at)


def card_blocks(card: StoredCard, *, undo_by: str | None = None) -> list[Block]:
    """The blocks of ``card``: the job card, then its Undo button, or who asked for the undo."""
    blocks = job_card(card_view(card))
    if not card.final or card.undo is None or card.undo_command is None:
        return blocks
    if undo_by is not None:
        return [*blocks, context(messages.undo_requested(user=undo_by, command=card.undo))]
    sure = confirm(
        title=messages.undo_confirm_title(),
        text=messages.undo_confirm_text(command=card.undo),
        yes=messages.undo_confirm_yes(),
        no=messages.confirm_no(),
    )
    undo = button(
        messages.undo_button(), action_id=UNDO_ACTION, value=card.undo[:VALUE_LIMIT], confirm_with=sure
    )
    return [
        *blocks,
        actions(undo, block_id=UNDO_BLOCK_PREFIX + card.job_id),
        context(messages.undo_offer(command=card.undo)),
    ]


def job_of_block(block_id: str) -> str | None:
    """The job id an Undo button's block id names, or None for another block."""
    return block_id.removeprefix(UNDO_BLOCK_PREFIX) if block_id.startswith(UNDO_BLOCK_PREFIX) else None
