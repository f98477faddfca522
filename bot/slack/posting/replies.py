"""Posting the engine's replies to a channel: plain answers, approval requests and decisions, exports.

Every reply that is for the whole thread goes through :meth:`ReplyPoster.post`, whether it answers a
message (the listeners) or nobody asked (the expiry loop):

- the reply that opens an approval request becomes the request message with its buttons;
- a reply reporting a decision edits that message (the buttons give way to who decided and when),
  then is said in the thread like any other; one counting an approval that is not enough yet edits
  it to show who approved so far, buttons kept;
- a reply carrying a timeline export is shared in the thread as a file, with its sentence as the
  comment (:mod:`bot.slack.posting.uploads`); when the upload fails (no ``files:write``, Slack down), the
  document is shown in a code block under the sentence instead, cut safely under Slack's message
  limit with a note;
- a reply with its own ``channel`` (an expiry notice) goes there rather than where the caller is;
- a reply with a structured view (a page of ``timeline``/``jobs``, the ``help`` sheet) is posted as
  blocks (:mod:`bot.slack.views.pages`), its text kept as the notification fallback.

Every reply about an approval request (opened, counted, decided) is also shown to the ``on_approval``
callbacks, which push the Home tab of the people concerned (:mod:`bot.slack.posting.home_push`).

Replies for one person (ephemeral) stay with the listeners: only they know who is asking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient

from bot.core.approvals import ApprovalRequest, opens_request
from bot.core.conversation import Reply
from bot.slack.posting.approval_posts import ApprovalPosts
from bot.slack.posting.uploads import upload_to_thread
from bot.slack.views.pages import view_blocks
from shared.messages import slack as messages

EXPORT_LIMIT = 35_000
"""Most characters of an export shown in a message; Slack cuts a message's text at 40,000."""


class ReplyPoster:
    """Shows the engine's replies in Slack."""

    def __init__(
        self,
        *,
        approvals: ApprovalPosts,
        export_limit: int = EXPORT_LIMIT,
        on_approval: Sequence[Callable[[ApprovalRequest], None]] = (),
    ) -> None:
        self.approvals = approvals
        self._export_limit = export_limit
        self._on_approval = tuple(on_approval)

    def post(
        self, client: WebClient, reply: Reply, *, channel: str, metadata: dict[str, Any] | None = None
    ) -> None:
        """Post ``reply`` in its thread, in ``reply.channel`` when set, else in ``channel``.

        ``metadata`` (Slack message metadata) goes with the message that says the reply.
        """
        where = reply.channel or channel
        request = reply.approval
        if request is not None:
            for callback in self._on_approval:
                callback(request)
        if request is not None and opens_request(request):
            self.approvals.post_request(client, request, text=reply.text, channel=where, metadata=metadata)
            return
        if request is not None and not request.state.is_open:
            self.approvals.show_decision(client, request)
        elif request is not None and request.votes:
            self.approvals.show_progress(client, request)
        text = reply.text
        if reply.file is not None:
            if upload_to_thread(
                client,
                channel=where,
                thread_ts=reply.thread_ts,
                filename=reply.file.filename,
                content=reply.file.content,
                comment=text,
            ):
                return
            text = messages.export_message(text=text, content=reply.file.content, limit=self._export_limit)
        client.chat_postMessage(
            channel=where,
            thread_ts=reply.thread_ts,
            text=text,
            blocks=None if reply.view is None else view_blocks(reply.view),
            unfurl_links=False,
            unfurl_media=False,
            metadata=metadata,
        )
