"""The Bolt listeners: acknowledge, reduce the payload to a message, let the engine answer, post it.

Every way in ends in :meth:`SlackListeners.handle`:

- ``app_mention`` and channel ``message`` events that mention the bot, and DMs: a command;
- a reply starting with ``approve``/``deny`` in a thread: an answer to the request of that thread;
- ``/ops TEXT``: the bot posts the request in the channel (so it has a thread) and runs it there;
- the Approve/Deny buttons: the same answer as typing it in the thread the buttons are in (on the
  Home tab, in the thread of the stored request the button names);
- the Older/Newer buttons of a ``timeline`` or ``jobs`` page: :class:`~bot.slack.listeners.page_turns.PageTurner`
  reads the page for the clicker, under the policy, and edits the message;
- the Undo button of a finished job card: its undo command, as if the clicker typed it in the
  card's thread (:mod:`bot.slack.listeners.card_undo` checks the click and shows who asked).

Events are acknowledged by Bolt before the listener runs and slash commands and clicks call ``ack()``
first, so Slack always hears back within its 3 seconds; the engine itself only enqueues. The command
message gets an :eyes: reaction at once, replies go to its thread, and replies meant for one person
go to them only (``chat.postEphemeral``); the others go through :class:`~bot.slack.posting.replies.ReplyPoster`,
which turns approval requests into messages with buttons and edits them once decided. A delivery
already seen (same channel and ``ts``) is dropped, and so is a copy of a slash command already run
(same ``trigger_id``, or the same signed body without one). Opening the bot's Home tab (``app_home_opened``
with ``tab: home``) publishes that person's view (:mod:`bot.slack.views.home`). Every ``message`` and
``app_mention`` event reaches one listener, which routes it once (:func:`~bot.slack.ingress.payloads.routed_event`)
and ignores what is not for the bot, so Slack never gets a 404 and retries.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.conversation import Engine, Message, Reply
from bot.slack.ingress import payloads
from bot.slack.ingress.dedupe import Deduplicator
from bot.slack.ingress.inbox_runner import DELIVERY_CONTEXT_KEY
from bot.slack.ingress.payloads import Route, Routed
from bot.slack.ingress.reply_ledger import SENDING, SENT, ReplyLedger, in_thread, reply_metadata
from bot.slack.listeners.card_undo import CardUndo
from bot.slack.listeners.page_turns import PageTurner
from bot.slack.listeners.people import AccountCheck
from bot.slack.listeners.usergroups import UserGroupResolver
from bot.slack.metrics import SlackMetrics
from bot.slack.posting.replies import ReplyPoster
from bot.slack.views.card_view import UNDO_ACTION
from bot.slack.views.home import HomePublisher
from bot.slack.views.pages import PAGE_ACTIONS
from shared.messages import slack as messages

SLASH_COMMAND = "/ops"
SEEN_REACTION = "eyes"

log = logging.getLogger(__name__)


class SlackListeners:
    """The app's listeners, bound to one engine and its helpers."""

    def __init__(
        self,
        *,
        engine: Engine,
        dedupe: Deduplicator,
        groups: UserGroupResolver | None = None,
        accounts: AccountCheck | None = None,
        replies: ReplyPoster,
        metrics: SlackMetrics | None = None,
        home: HomePublisher | None = None,
        slash_command: str = SLASH_COMMAND,
        undo: CardUndo | None = None,
        ledger: ReplyLedger | None = None,
    ) -> None:
        self._engine = engine
        self._undo = undo
        self._ledger = ledger
        self._replies = replies
        self._dedupe = dedupe
        self._groups = groups
        self._accounts = accounts
        self._metrics = metrics
        self._home = home
        self._slash_command = slash_command

    def register(self, app: App) -> None:
        """Attach the listeners to ``app``; the specific ones first, the catch-alls last."""
        app.event("app_mention")(self.on_event)
        app.event("message")(self.on_event)
        app.command(self._slash_command)(self.on_command)
        app.action(payloads.APPROVE_ACTION)(self.on_answer_click)
        app.action(payloads.DENY_ACTION)(self.on_answer_click)
        app.action(UNDO_ACTION)(self.on_undo_click)
        turner = PageTurner(engine=self._engine, groups=self._groups)
        for page_action in PAGE_ACTIONS:
            app.action(page_action)(turner.on_click)
        app.event("reaction_added")(self.on_reaction)
        app.event("app_home_opened")(self.on_home_opened)

    def on_event(self, event: Mapping[str, Any], context: Mapping[str, Any], client: WebClient) -> None:
        """A mention, a DM, or an answer typed in a thread; anything else (a bot, an edit, chatter) is
        acknowledged and ignored, routed once."""
        routed = payloads.routed_event(event, bot_user_id=context.get("bot_user_id"))
        if routed is not None:
            self.handle(routed, client=client, delivery=context.get(DELIVERY_CONTEXT_KEY))

    def on_command(
        self, ack: Any, body: Mapping[str, Any], client: WebClient, respond: Any, request: BoltRequest
    ) -> None:
        """``/ops TEXT``: acknowledge, post the request so it has a thread, then run it there.

        Once per typing of the command: a copy of a request already claimed is dropped silently
        (:meth:`~bot.slack.ingress.dedupe.Deduplicator.claim_slash`), and the same delivery run again goes on in the
        thread of the request it posted.
        """
        ack()
        delivery = request.context.get(DELIVERY_CONTEXT_KEY)
        key = payloads.slash_delivery_key(body, raw_body=request.raw_body)
        claim = self._dedupe.claim_slash(key, owner=delivery)
        if claim is None:
            self._count(Route.COMMAND.value, "duplicate")
            return
        root_ts = claim.root_ts
        if root_ts is None:
            text = messages.slash_request(
                user=str(body["user_id"]),
                command=str(body.get("command") or ""),
                text=payloads.slash_text(body),
            )
            try:
                root = client.chat_postMessage(channel=body["channel_id"], text=text, unfurl_links=False)
            except SlackApiError as error:
                log.info(
                    "slash command in %s: cannot post (%s)", body["channel_id"], error.response.get("error")
                )
                respond(text=messages.slash_cannot_post(), response_type="ephemeral")
                return
            root_ts = str(root["ts"])
            self._dedupe.slash_posted(claim, root_ts=root_ts)
        routed = payloads.routed_slash(body, root_ts=root_ts)
        self.handle(routed, client=client, react=False, delivery=delivery)

    def on_answer_click(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], client: WebClient
    ) -> None:
        """Approve or Deny clicked: the same as typing it in the thread of the request.

        On a request message that thread is the message's; on the Home tab it is the thread of the
        stored request the button names.
        """
        ack()
        word = "approve" if action.get("action_id") == payloads.APPROVE_ACTION else "deny"
        routed = payloads.routed_action(body, word=word, find_place=self._place_of_request)
        if routed is not None:
            self.handle(routed, client=client, react=False, dedupe=False)

    def on_undo_click(self, ack: Any, body: Mapping[str, Any], client: WebClient) -> None:
        """Undo clicked on a job card: its undo command, run as if the clicker typed it in the card's thread."""
        ack()
        click = self._undo.claim(client, body) if self._undo is not None else None
        if self._undo is None or click is None:
            return
        try:
            replies = self.handle(click.routed, client=client, react=False)
        except Exception:
            self._undo.release(click)
            raise
        self._undo.settle(client, click, replies)

    def _place_of_request(self, approval_id: str) -> payloads.Place | None:
        request = self._engine.approval(approval_id) if approval_id else None
        return None if request is None else (request.channel, request.thread_ts)

    def on_reaction(self, event: Mapping[str, Any], client: WebClient) -> None:
        """A :pushpin: on a message puts it on the timeline as a note, at the time it was written.

        Only for someone the policy's ``note`` rule allows, in a channel it accepts commands in;
        any other reaction is ignored before the message is even read.
        """
        pinned = payloads.pinned_message(event)
        if pinned is None:
            return
        channel, ts, user = pinned
        groups = self._groups.groups_of(user) if self._groups is not None else frozenset()
        if not self._engine.may_pin(user=user, user_groups=groups, channel=channel):
            log.info("a pushpin by %s in %s is not a note: the policy does not allow it", user, channel)
            return
        try:
            found = client.conversations_replies(channel=channel, ts=ts, latest=ts, inclusive=True, limit=1)
        except SlackApiError as error:
            log.info("conversations.replies failed: %s", error.response.get("error"))
            return
        messages_found = [m for m in found.get("messages") or [] if m.get("ts") == ts]
        if messages_found:
            self._engine.pin(
                user=user,
                channel=channel,
                message_ts=ts,
                text=str(messages_found[0].get("text", "")),
                user_groups=groups,
            )

    def on_home_opened(self, event: Mapping[str, Any], client: WebClient) -> None:
        """The Home tab opened: publish that person's approvals, jobs in flight and commands."""
        if self._home is None or event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            self._home.publish(client, user=str(event["user"]), channel=str(event.get("channel") or ""))
        except SlackApiError as error:
            log.info("views.publish failed: %s", error.response.get("error"))

    def handle(
        self,
        routed: Routed,
        *,
        client: WebClient,
        react: bool = True,
        dedupe: bool = True,
        delivery: str | None = None,
    ) -> list[Reply]:
        """Run one command or answer once, post the engine's replies and return them (none if not run).

        ``delivery`` is the inbox id of the delivery being run: running it again (its runner died)
        is not a duplicate.
        """
        incoming = routed.message
        route = routed.route.value
        if dedupe and not self._dedupe.claim(channel=incoming.channel, ts=incoming.ts, owner=delivery):
            self._count(route, "duplicate")
            return []
        try:
            if react:
                self._react(client, incoming)
            if routed.route is Route.ANSWER and self._accounts is not None:
                refusal = self._accounts.refusal(incoming.user)
                if refusal is not None:
                    self._post_ephemeral(client, incoming, refusal)
                    self._count(route, "refused")
                    return []
            groups = self._groups.groups_of(incoming.user) if self._groups is not None else frozenset()
            replies = self._engine.handle(dataclasses.replace(incoming, user_groups=groups))
            for index, reply in enumerate(replies):
                self._post_once(client, incoming, reply, delivery=delivery, index=index)
        except Exception:
            if dedupe:
                self._dedupe.release(channel=incoming.channel, ts=incoming.ts)
            self._count(route, "failed")
            raise
        if dedupe:
            self._dedupe.finish(channel=incoming.channel, ts=incoming.ts)
        self._count(route, "handled")
        return replies

    def _post_once(
        self, client: WebClient, incoming: Message, reply: Reply, *, delivery: str | None, index: int
    ) -> None:
        """Post a reply unless this delivery's earlier run did (see :mod:`bot.slack.ingress.reply_ledger`).

        A quiet reply (a lookup's job) is not posted: the answer, posted by the job cards, is the one message.
        """
        if reply.quiet:
            return
        if delivery is None or self._ledger is None:
            self._post_reply(client, incoming, reply)
            return
        state = self._ledger.state(delivery, index)
        if state == SENT:
            return
        if (
            state == SENDING
            and not reply.ephemeral
            and reply.thread_ts
            and in_thread(
                client,
                channel=reply.channel or incoming.channel,
                thread_ts=reply.thread_ts,
                delivery=delivery,
                index=index,
            )
        ):
            self._ledger.mark(delivery, index, SENT)
            return
        self._ledger.mark(delivery, index, SENDING)
        self._post_reply(client, incoming, reply, metadata=reply_metadata(delivery, index))
        self._ledger.mark(delivery, index, SENT)

    def _react(self, client: WebClient, incoming: Message) -> None:
        try:
            client.reactions_add(channel=incoming.channel, timestamp=incoming.ts, name=SEEN_REACTION)
        except SlackApiError as error:  # already_reacted, or no reactions:write: not worth failing for
            log.info("reactions.add failed: %s", error.response.get("error"))

    def _post_reply(
        self, client: WebClient, incoming: Message, reply: Reply, *, metadata: dict[str, Any] | None = None
    ) -> None:
        if reply.ephemeral:
            self._post_ephemeral(client, incoming, reply.text)
            return
        self._replies.post(client, reply, channel=incoming.channel, metadata=metadata)

    @staticmethod
    def _post_ephemeral(client: WebClient, incoming: Message, text: str) -> None:
        # Ephemeral messages show in a thread only once it exists: reply there only when it does
        # (a None thread_ts is left out of the call).
        client.chat_postEphemeral(
            channel=incoming.channel, user=incoming.user, text=text, thread_ts=incoming.thread_ts
        )

    def _count(self, route: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.deliveries.labels(route=route, outcome=outcome).inc()
