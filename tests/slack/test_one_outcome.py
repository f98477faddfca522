"""One outcome message per job in its thread, however many approvers click at once.

Twenty leads click Approve on the same request at the same instant, against the real app over HTTP,
a real worker on kubesim and the fake Web API, which counts what the thread received, by kind.
"""

from __future__ import annotations

import threading
import time

import pytest
from redis import Redis

from bot.core.policy import Policy
from bot.core.policy_file import load_policy
from bot.slack.ingress.payloads import APPROVE_ACTION
from kubesim.server import Simulator
from tests.slack.conftest import RunningBot
from tests.slack.fake_slack import Call, FakeSlack, person
from tests.slack.test_approvals import ask, click
from tests.slack.test_plans import fixture_sim, words, work
from tests.support.drills import Family, Tally

pytestmark = pytest.mark.redis

__all__ = ["fixture_sim"]

LEADS = [f"U_LEAD{i:02d}" for i in range(20)]
POLICY = f"""
groups:
  oncall: [U_ALICE]
  leads: [{", ".join(LEADS)}]
rules:
  - commands: [scale]
    allow: [oncall]
    approval: {{approvers: [leads], count: 1, ttl: 15m}}
"""


@pytest.fixture(name="policy")
def fixture_policy() -> Policy:
    """Alice may scale, and any one of twenty leads approves it."""
    return load_policy(POLICY, source="twenty-leads")


def in_thread(fake_slack: FakeSlack, thread_ts: str) -> list[Call]:
    """Every message the bot posted in the thread (ephemeral answers to one person excluded)."""
    return [call for call in fake_slack.calls("chat.postMessage") if call.body.get("thread_ts") == thread_ts]


def test_twenty_approvals_at_once_give_one_decision_one_card_and_one_outcome_in_the_thread(
    sim: Simulator, running: RunningBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """One "Approved by", one "Queued", one job card (one "Updated" line), one outcome, broadcast once."""
    del sim
    for lead in LEADS:
        fake_slack.users[lead] = person(lead)
    asked = ask(running, fake_slack, "scale web 5", run_plan=lambda: work(connection))
    barrier = threading.Barrier(len(LEADS))

    def approve(lead: str) -> None:
        barrier.wait()
        click(running, asked, APPROVE_ACTION, user=lead)

    clicks = [threading.Thread(target=approve, args=(lead,)) for lead in LEADS]
    for clicking in clicks:
        clicking.start()
    for clicking in clicks:
        clicking.join(timeout=30)
    fake_slack.wait_for("chat.postMessage", where=lambda call: asked.job_id in call.text)
    work(connection)
    outcome = f"`{asked.job_id}` succeeded"
    fake_slack.wait_for("chat.postMessage", where=lambda call: outcome in call.text)
    time.sleep(1.0)  # anything a duplicate would still post arrives by now (cards flush every 0.3 s)
    thread = in_thread(fake_slack, asked.thread_ts)
    said = [call.text for call in thread]
    cards = [call for call in thread if "Updated <!date^" in words(call)]
    outcomes = [text for text in said if outcome in text]
    broadcasts = [call.text for call in thread if call.body.get("reply_broadcast")]
    drill.tried(Family.CONCURRENT_APPROVALS)
    drill.lost(Family.CONCURRENT_APPROVALS, 1 - min(1, len(outcomes)))
    drill.duplicated(
        Family.CONCURRENT_APPROVALS,
        max(0, len(cards) - 1) + max(0, len(outcomes) - 1) + max(0, len(broadcasts) - 1),
    )
    assert sum(text.startswith("Approved by") for text in said) == 1, said
    assert sum(text.startswith(f"Queued `{asked.job_id}`") for text in said) == 1, said
    assert len(cards) == 1, said
    assert len(outcomes) == 1, said
    assert broadcasts == outcomes
