"""What the bot listens to: the routing rules over Slack's event, command and action payloads."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from bot.slack.ingress import payloads
from bot.slack.ingress.payloads import Route, answer_word, route_event, routed_action, routed_event

BOT = "UBOT"


def message(text: str, **fields: Any) -> dict[str, Any]:
    """A channel message event from Alice."""
    return {"type": "message", "user": "U_ALICE", "text": text, "ts": "1.000001", "channel": "C1", **fields}


@pytest.mark.parametrize(
    ("event", "route"),
    [
        (
            {
                "type": "app_mention",
                "user": "U_ALICE",
                "text": f"<@{BOT}> nodes",
                "ts": "1.1",
                "channel": "C1",
            },
            Route.COMMAND,
        ),
        (message(f"<@{BOT}|opsbot> nodes"), Route.COMMAND),
        (message("nodes", channel="D1", channel_type="im"), Route.COMMAND),
        (message("approve", thread_ts="0.5"), Route.ANSWER),
        (message("Deny too risky today", thread_ts="0.5"), Route.ANSWER),
        (message(f"<@{BOT}> approve", thread_ts="0.5"), Route.ANSWER),
        (message("nodes"), None),
        (message("approve"), None),
        (message("approve", thread_ts="1.000001"), None),
        (message("sounds good", thread_ts="0.5"), None),
        (message(f"<@{BOT}> nodes", bot_id="B2"), None),
        (message(f"<@{BOT}> nodes", user=BOT), None),
        (message(f"<@{BOT}> nodes", subtype="bot_message"), None),
        (message("nodes", channel="D1", channel_type="im", subtype="message_changed"), None),
        (message(f"<@{BOT}> nodes", subtype="channel_join"), None),
    ],
)
def test_events_are_routed_to_commands_answers_or_nothing(event: dict[str, Any], route: Route | None) -> None:
    """Mentions and DMs are commands, approve/deny replies in a thread are answers, the rest is ignored."""
    assert route_event(event, bot_user_id=BOT) == route


def test_an_answer_keeps_its_thread_and_a_top_level_command_has_none() -> None:
    """thread_ts is the request's thread for a reply, and None for the request itself."""
    answer = routed_event(message("approve", thread_ts="0.5"), bot_user_id=BOT)
    command = routed_event(message(f"<@{BOT}> nodes", thread_ts="1.000001"), bot_user_id=BOT)
    assert answer is not None and command is not None
    assert (answer.route, answer.message.thread_ts) == (Route.ANSWER, "0.5")
    assert (command.route, command.message.thread_ts) == (Route.COMMAND, None)


def test_answer_words_are_read_after_the_mention_and_case_insensitively() -> None:
    """approve and deny open an answer whatever the case, after a leading mention; other words don't."""
    assert [answer_word(text) for text in ("APPROVE", f"<@{BOT}> deny because", "approved", "")] == [
        "approve",
        "deny",
        None,
        None,
    ]


def test_a_click_answers_in_the_thread_slack_says_the_clicked_message_is_in() -> None:
    """The thread and channel come from the container, the person from ``user``, not from the value."""
    body = {
        "user": {"id": "U_BOB", "team_id": "T1"},
        "container": {"channel_id": "C1", "message_ts": "2.0", "thread_ts": "1.0"},
        "actions": [{"action_id": "approval_approve", "value": "apr_9", "action_ts": "3.0"}],
    }
    routed = routed_action(body, word="approve")
    assert routed is not None and routed.route is Route.ANSWER
    answer = routed.message
    assert (answer.user, answer.channel, answer.thread_ts, answer.text, answer.approval_id) == (
        "U_BOB",
        "C1",
        "1.0",
        "approve",
        "apr_9",
    )


def test_a_click_outside_any_thread_answers_nothing() -> None:
    """Buttons on a top-level message have no request thread to answer."""
    body = {"user": {"id": "U_BOB"}, "container": {"channel_id": "C1", "message_ts": "2.0"}, "actions": [{}]}
    assert routed_action(body, word="deny") is None


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (
            json.dumps({"event": {"user": "U1", "channel": "C1", "ts": "1.1", "thread_ts": "0.9"}}),
            "application/json",
            payloads.Origin(user="U1", channel="C1", thread_ts="0.9"),
        ),
        (
            json.dumps({"event": {"user": "U1", "channel": "C1", "ts": "1.1"}}),
            "application/json",
            payloads.Origin(user="U1", channel="C1", thread_ts="1.1"),
        ),
        (
            urlencode({"command": "/ops", "user_id": "U2", "channel_id": "C2", "text": "cordon node-1"}),
            "application/x-www-form-urlencoded",
            payloads.Origin(user="U2", channel="C2"),
        ),
        (
            urlencode(
                {
                    "payload": json.dumps(
                        {"user": {"id": "U3"}, "channel": {"id": "C3"}, "message": {"ts": "2.2"}}
                    )
                }
            ),
            "application/x-www-form-urlencoded",
            payloads.Origin(user="U3", channel="C3", thread_ts="2.2"),
        ),
        (json.dumps({"event": {"type": "app_home_opened"}}), "application/json", None),
        ("{}", "application/json", None),
    ],
    ids=["thread reply", "mention", "slash command", "button click", "no person", "empty"],
)
def test_the_sender_of_any_delivery_is_found_to_tell_them_it_failed(
    raw: str, content_type: str, expected: payloads.Origin | None
) -> None:
    """Events, slash commands and clicks, as Bolt parsed them, name who sent them and where; anything else names nobody."""
    body = BoltRequest(body=raw, headers={"content-type": [content_type]}).body
    assert payloads.origin_of(body) == expected
