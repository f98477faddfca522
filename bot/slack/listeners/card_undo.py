"""An Undo click on a finished job card: the undo command runs as if the clicker typed it in the thread.

The listener (:meth:`bot.slack.listeners.handlers.SlackListeners.on_undo_click`) hands the click here, then runs
what :meth:`CardUndo.claim` gives through the same path as a typed command, so policy, approvals
and the timeline apply to the clicking person exactly as to a message:

1. :meth:`CardUndo.claim` checks the click against the stored card (the job named by the button's
   block, posted in this channel at this ts, with an undo), never against the button's value, and
   claims the undo for the clicker; the first click wins, later ones are told who asked;
2. the command runs (the listener's ``handle``) as the data the card holds (the undo its job
   offered), never read back from the words the button shows;
3. :meth:`CardUndo.settle` looks at the engine's replies: a refusal (only ephemeral replies, such as a
   policy denial) gives the undo back, so someone allowed may still click; anything else (a job
   queued, an approval requested) replaces the button by "Undo requested by @x".
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.conversation import Message, Reply
from bot.slack.ingress.payloads import Route, Routed
from bot.slack.posting.card_store import CardStore, StoredCard
from bot.slack.views.blocks import job_card_fallback
from bot.slack.views.card_view import card_blocks, card_view, job_of_block
from shared.invocation import maybe_invocation
from shared.messages import slack as messages
from shared.undo import undo_command

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class UndoClick:
    """A claimed undo: the card, and the command to run as the clicker."""

    card: StoredCard
    routed: Routed


class CardUndo:
    """Turns Undo clicks into commands, and cards into "Undo requested by" once they ran."""

    def __init__(self, store: CardStore) -> None:
        self._store = store

    def claim(self, client: WebClient, body: Mapping[str, Any]) -> UndoClick | None:
        """The command a click stands for, claimed for the clicker; None (the clicker told why) if none."""
        container = body.get("container") or {}
        actions = body.get("actions") or [{}]
        user = str((body.get("user") or {}).get("id") or "")
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        job_id = job_of_block(str(actions[0].get("block_id") or ""))
        card = self._store.load(job_id) if job_id else None
        if not user or not channel:
            return None
        offered = maybe_invocation(card.undo_command) if card is not None else None
        undo = undo_command(offered) if offered is not None else None
        if (
            card is None
            or card.undo is None
            or undo is None
            or card.channel != channel
            or card.ts != container.get("message_ts")
        ):
            _tell(client, channel=channel, user=user, thread_ts=None, text=messages.undo_unavailable())
            return None
        earlier = self._store.claim_undo(card.job_id, user=user)
        if earlier is not None:
            _tell(
                client,
                channel=channel,
                user=user,
                thread_ts=card.thread_ts,
                text=messages.undo_already_requested(user=earlier),
            )
            return None
        ts = str(actions[0].get("action_ts") or "")
        message = Message(
            user=user, channel=channel, ts=ts, text=card.undo, thread_ts=card.thread_ts, command=undo
        )
        return UndoClick(card=card, routed=Routed(Route.COMMAND, message))

    def settle(self, client: WebClient, click: UndoClick, replies: Sequence[Reply]) -> None:
        """After the command ran: show who asked for the undo, or give it back if it was refused."""
        if not any(not reply.ephemeral for reply in replies):
            self.release(click)
            return
        card, user = click.card, click.routed.message.user
        if card.ts is None:
            return
        try:
            client.chat_update(
                channel=card.channel,
                ts=card.ts,
                text=job_card_fallback(card_view(card)),
                blocks=card_blocks(card, undo_by=user),
            )
        except SlackApiError as error:
            log.warning(
                "job card %s: cannot show the undo request (%s)", card.job_id, error.response.get("error")
            )

    def release(self, click: UndoClick) -> None:
        """Give the undo back, so somebody else may still ask for it."""
        self._store.release_undo(click.card.job_id)


def _tell(client: WebClient, *, channel: str, user: str, thread_ts: str | None, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as error:
        log.info("undo click: cannot answer %s (%s)", user, error.response.get("error"))
