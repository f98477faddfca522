"""Waiting for what the app does after it has answered Slack (listeners run after the ack)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.slack.assembly import SlackBot


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def deliveries(bot: SlackBot, *, route: str, outcome: str) -> int:
    """How many commands or answers the app counted with ``outcome``."""
    value = bot.metrics.registry.get_sample_value(
        "chatops_slack_deliveries_total", {"route": route, "outcome": outcome}
    )
    return int(value or 0)


def settled(bot: SlackBot, *, route: str, expected: int) -> Callable[[], bool]:
    """A condition: ``expected`` deliveries of ``route`` have been fully handled, whatever the outcome."""

    def done() -> bool:
        outcomes = ("handled", "duplicate", "refused", "failed")
        return sum(deliveries(bot, route=route, outcome=outcome) for outcome in outcomes) >= expected

    return done
