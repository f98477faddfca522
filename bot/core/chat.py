"""What a chat surface hands the engine, and what the engine hands back: plain frozen values.

An adapter (the console, Slack) turns what arrives into a :class:`Message` and shows each
:class:`Reply` in the thread of the request; neither knows anything of the surface.
"""

from __future__ import annotations

import dataclasses

from bot.core.approvals import ApprovalRequest
from bot.core.pages import ReadingPage
from shared import commands
from shared.reference import HelpSheet


@dataclasses.dataclass(frozen=True)
class Message:
    """A chat message as the engine needs it, whatever the surface."""

    user: str
    channel: str
    ts: str
    """The message's own id (Slack's ``ts``); job ids are derived from it and the channel."""
    text: str
    thread_ts: str | None = None
    """Set when the message is a reply in a thread."""
    user_groups: frozenset[str] = frozenset()
    """Slack user groups (``S…``) the user belongs to, resolved by the adapter."""
    approval_id: str | None = None
    """Set on an Approve/Deny click: the request whose buttons were clicked, which alone it answers."""
    command: commands.Command | None = None
    """A command given as data (an Undo click): it runs as it is, and ``text`` only says it in words
    for the record; None for typed text, which the grammar reads."""


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A document that goes with a reply (a timeline export): a file name and its text."""

    filename: str
    content: str


@dataclasses.dataclass(frozen=True)
class Reply:
    """Something the bot says, in the thread of the request."""

    text: str
    thread_ts: str
    ephemeral: bool = False
    """Only for the person who asked (usage errors, refusals)."""
    job_id: str | None = None
    """The job this reply is about, when there is one."""
    channel: str | None = None
    """Where it goes when not in the channel of the message being answered (expiry notices)."""
    approval: ApprovalRequest | None = None
    """Set on the message that asks for (or reports the decision of) an approval, for buttons."""
    file: Attachment | None = None
    view: ReadingPage | HelpSheet | None = None
    """The same answer as structured data (a page of ``timeline``/``jobs``, the ``help`` sheet), for
    surfaces that draw it; ``text`` stays the plain form (the console's, and Slack's fallback)."""
    quiet: bool = False
    """Not shown: the job of a lookup, whose answer is the only message the person sees (``text``
    stays for the record)."""
    starts_at: float | None = None
    """Set when the job waits for a later start (RQ's scheduler): nothing more is heard of it until then."""


def message_time(message: Message) -> float | None:
    """When a chat message was written, from its Slack-style ``ts`` (``seconds.micro``), if it reads as one."""
    try:
        return float(message.ts)
    except ValueError:
        return None
