"""Reading Slack payloads: which deliveries are commands, and the few fields the engine needs from them.

Pure functions over the JSON Slack sends (events, slash commands, block actions), so the rules of
what the bot listens to are testable without an app: bots are ignored, only plain messages count,
a channel message is a command when it mentions the bot, a DM always is, and a reply in a thread is
an answer when it starts with ``approve`` or ``deny``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from bot.core.conversation import Message
from shared.text import normalize

ANSWER_WORDS = frozenset({"approve", "deny"})
"""First words of a reply in a thread that answer an approval request."""

APPROVE_ACTION = "approval_approve"
DENY_ACTION = "approval_deny"
"""Stable ``action_id`` values of the approval buttons: one listener handles every request."""

_PLAIN_SUBTYPES = frozenset({None, "thread_broadcast"})


class Route(enum.Enum):
    """What the bot does with a delivery."""

    COMMAND = "command"
    """A request to run something: a mention, a DM, a slash command."""
    ANSWER = "answer"
    """``approve``/``deny`` in the thread of a request."""


@dataclasses.dataclass(frozen=True)
class Routed:
    """A delivery reduced to what the engine needs: what to do with it, and the engine's message.

    The message's ``channel`` and ``ts`` identify the delivery for de-duplication; its
    ``user_groups`` are resolved later, by the listener, only for deliveries it runs.
    """

    route: Route
    message: Message


def is_from_bot(event: Mapping[str, Any], *, bot_user_id: str | None) -> bool:
    """True for anything a bot posted, ours or another's, and for messages without a person."""
    if "bot_id" in event or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    user = event.get("user")
    return not user or (bot_user_id is not None and user == bot_user_id)


def is_plain_message(event: Mapping[str, Any]) -> bool:
    """True for a message a person typed (not an edit, deletion, join, file share or the like)."""
    return event.get("subtype") in _PLAIN_SUBTYPES and isinstance(event.get("text"), str)


def is_direct_message(event: Mapping[str, Any]) -> bool:
    """True for a message in a one-to-one conversation with the bot."""
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


def mentions(text: str, *, bot_user_id: str | None) -> bool:
    """True when ``text`` mentions the bot (``<@UBOT>`` or ``<@UBOT|name>``)."""
    return bot_user_id is not None and f"<@{bot_user_id}" in text


def is_thread_reply(event: Mapping[str, Any]) -> bool:
    """True for a reply inside a thread (not the thread's first message)."""
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def answer_word(text: str) -> str | None:
    """``approve`` or ``deny`` when ``text`` starts with one of them (after any mention), else None."""
    words = normalize(text).split(" ", 1)
    first = words[0].lower() if words else ""
    return first if first in ANSWER_WORDS else None


def route_event(event: Mapping[str, Any], *, bot_user_id: str | None) -> Route | None:
    """What to do with a ``message`` or ``app_mention`` event; None to ignore it."""
    if not is_plain_message(event) or is_from_bot(event, bot_user_id=bot_user_id):
        return None
    text = str(event["text"])
    if is_thread_reply(event) and answer_word(text) is not None:
        return Route.ANSWER
    if event.get("type") == "app_mention" or is_direct_message(event):
        return Route.COMMAND
    if mentions(text, bot_user_id=bot_user_id):
        return Route.COMMAND
    return None


def routed_event(event: Mapping[str, Any], *, bot_user_id: str | None) -> Routed | None:
    """What to do with a ``message`` or ``app_mention`` event and its message; None to ignore it."""
    route = route_event(event, bot_user_id=bot_user_id)
    if route is None:
        return None
    thread_ts = event.get("thread_ts")
    message = Message(
        user=str(event["user"]),
        channel=str(event["channel"]),
        ts=str(event["ts"]),
        text=str(event["text"]),
        thread_ts=str(thread_ts) if is_thread_reply(event) else None,
    )
    return Routed(route, message)


Place = tuple[str, str]
"""Where an approval request is answered: its channel and thread."""


def routed_action(
    body: Mapping[str, Any], *, word: str, find_place: Callable[[str], Place | None] | None = None
) -> Routed | None:
    """The typed answer an Approve/Deny click stands for, in the thread the clicked message is in.

    The thread comes from the message Slack says was clicked (``container``) and the request from the
    button's value: the click answers that request alone, and only if the store has it in that very
    channel and thread (a value naming another thread's request answers nothing), never whichever
    request is newest in the thread. A click on the App Home tab (a ``view`` container) has no
    thread: ``find_place`` looks the request up in the store and gives its channel and thread, where
    the answer is then checked exactly like a typed one. None when there is nothing to answer.
    """
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    thread_ts = container.get("thread_ts") or message.get("thread_ts")
    actions = body.get("actions") or [{}]
    user = (body.get("user") or {}).get("id")
    if container.get("type") == "view" and find_place is not None:
        place = find_place(str(actions[0].get("value") or ""))
        channel, thread_ts = place if place is not None else (None, None)
    if not channel or not thread_ts or not user:
        return None
    ts = str(actions[0].get("action_ts") or container.get("message_ts") or "")
    value = str(actions[0].get("value") or "").strip()
    message = Message(
        user=str(user),
        channel=str(channel),
        ts=ts,
        text=word,
        thread_ts=str(thread_ts),
        approval_id=value or None,
    )
    return Routed(Route.ANSWER, message)


def slash_text(body: Mapping[str, Any]) -> str:
    """What followed the slash command, as typed."""
    return str(body.get("text") or "").strip()


def slash_delivery_key(body: Mapping[str, Any], *, raw_body: str) -> str:
    """What names one typing of a slash command: its ``trigger_id``, else the signed body (a digest).

    Slack makes a new ``trigger_id`` each time a command is typed and sends the same one with every
    copy of that request; the digest keeps the key short whatever was sent.
    """
    trigger = str(body.get("trigger_id") or "")
    source = f"trigger:{body.get('team_id') or ''}:{trigger}" if trigger else f"body:{raw_body}"
    return hashlib.sha256(source.encode()).hexdigest()


def routed_slash(body: Mapping[str, Any], *, root_ts: str) -> Routed:
    """A slash command as a command whose thread starts at ``root_ts`` (the message the bot posted)."""
    message = Message(
        user=str(body["user_id"]), channel=str(body["channel_id"]), ts=root_ts, text=slash_text(body)
    )
    return Routed(Route.COMMAND, message)


PIN_REACTION = "pushpin"
"""The reaction that puts a message on the timeline."""


def pinned_message(event: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``(channel, ts, user)`` of a message someone reacted to with :pushpin:, or None for anything else."""
    item = event.get("item") or {}
    if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
        return None
    channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(user, str)):
        return None
    return channel, ts, user


@dataclasses.dataclass(frozen=True)
class Origin:
    """Who sent a delivery and where, to tell them when it could not be handled."""

    user: str
    channel: str
    thread_ts: str | None = None


def origin_of(body: Mapping[str, Any]) -> Origin | None:
    """The person and channel of a delivery (event, slash command or click) as Bolt parsed its body.

    None when it has none. Bolt's parsed body is an event callback's JSON, a click's ``payload``, or
    a slash command's form fields, so each is read where it keeps them; nothing is parsed again.
    """
    event = body.get("event")
    if isinstance(event, Mapping):
        user, channel = event.get("user"), event.get("channel")
        thread = event.get("thread_ts") or event.get("ts")
    elif isinstance(body.get("user"), Mapping):
        user = body["user"].get("id")
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        thread = message.get("thread_ts") or message.get("ts")
    else:
        user, channel, thread = body.get("user_id"), body.get("channel_id"), None
    if not isinstance(user, str) or not isinstance(channel, str) or not user or not channel:
        return None
    return Origin(user=user, channel=channel, thread_ts=thread if isinstance(thread, str) else None)
