"""What a finished card shows about its undo: a valid Undo button, then who asked for it; nothing otherwise."""

from __future__ import annotations

import dataclasses

import pytest
from redis import Redis

from bot.slack.posting.card_store import CardStore, StoredCard
from bot.slack.views.card_view import UNDO_ACTION, card_blocks, job_of_block
from shared.commands import Scale, Uncordon
from shared.invocation import invocation_of
from shared.jobevents import EventKind, JobEvent
from shared.undo import UNDO_DETAIL
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_approval_parts import valid
from tests.slack.test_cards import CHANNEL, JOB, THREAD, renderer
from tests.support.clocks import ManualClock

FINISHED = StoredCard(
    job_id="job-0123456789",
    channel="C_OPS",
    thread_ts="1700000000.000100",
    kind=EventKind.SUCCEEDED,
    text="`job-0123456789` succeeded.",
    at=1_700_000_000.0,
    ts="1700000000.000200",
    sent=True,
    final=True,
    undo="uncordon node-3",
    undo_command=invocation_of(Uncordon(node="node-3")).to_json(),
)


def test_a_finished_card_with_an_undo_has_one_valid_undo_button_naming_its_job() -> None:
    """The button passes slack_sdk's checks, asks to confirm, and its block names the job."""
    blocks = valid(card_blocks(FINISHED))
    [actions] = [block for block in blocks if block["type"] == "actions"]
    [button] = actions["elements"]
    assert (button["action_id"], button["value"]) == (UNDO_ACTION, "uncordon node-3")
    assert "confirm" in button
    assert job_of_block(actions["block_id"]) == FINISHED.job_id


def test_once_requested_the_button_gives_way_to_who_asked() -> None:
    """No actions block is left, and the context line names the person."""
    blocks = valid(card_blocks(FINISHED, undo_by="U_BOB"))
    assert [block["type"] for block in blocks].count("actions") == 0
    assert "Undo requested by <@U_BOB>" in blocks[-1]["elements"][0]["text"]


@pytest.mark.parametrize(
    "card",
    [
        dataclasses.replace(FINISHED, undo=None, undo_command=None),
        dataclasses.replace(FINISHED, undo_command=None),
        dataclasses.replace(FINISHED, final=False, kind=EventKind.PROGRESS),
    ],
    ids=["no undo", "stored by an earlier version: words only", "running"],
)
def test_a_card_without_an_undo_or_still_running_has_no_button(card: StoredCard) -> None:
    """Only finished operations with an inverse offer one."""
    assert [block["type"] for block in card_blocks(card)] == ["section", "context"]


@pytest.mark.redis
def test_the_first_click_claims_the_undo_and_later_ones_learn_who_did(connection: Redis) -> None:
    """Two people click at once: one claim wins; a refused undo is given back for the next person."""
    store = CardStore(connection)
    assert store.claim_undo(FINISHED.job_id, user="U_BOB") is None
    assert store.claim_undo(FINISHED.job_id, user="U_ALICE") == "U_BOB"
    store.release_undo(FINISHED.job_id)
    assert store.claim_undo(FINISHED.job_id, user="U_ALICE") is None


@pytest.mark.redis
def test_a_stored_card_reads_back_as_it_was_written(connection: Redis) -> None:
    """Everything a restarted bot needs (where the card is, its state, what is owed) survives the round trip."""
    store = CardStore(connection)
    owed = dataclasses.replace(FINISHED, sent=False, result="done", details=["a warning"])
    store.save([owed])
    assert store.load(FINISHED.job_id) == owed
    assert store.unfinished() == [owed]
    store.save([FINISHED])
    assert store.unfinished() == []


def test_a_finished_job_offers_the_undo_its_event_carries_as_data(fake_slack: FakeSlack) -> None:
    """The worker checked the offer made at submission against the result: the card shows it, nothing parsed."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    undo = invocation_of(Scale(deployment="web", namespace="shop", replicas=2))
    details = {"changed": True, "plan": {"current": 2}, UNDO_DETAIL: undo.to_json()}
    source.events.append(
        JobEvent(
            job_id=JOB,
            kind=EventKind.SUCCEEDED,
            text="done",
            channel=CHANNEL,
            thread_ts=THREAD,
            at=1.0,
            details=details,
        )
    )
    cards.step(block_ms=None)
    [card, _result] = fake_slack.calls("chat.postMessage")
    [actions] = [block for block in card.body["blocks"] if block["type"] == "actions"]
    assert actions["elements"][0]["value"] == "scale web 2 -n shop"


def test_the_words_a_job_was_typed_with_are_never_read_back_for_an_undo(fake_slack: FakeSlack) -> None:
    """An event of the earlier version carries only the typed text: no Undo button is made from it."""
    cards, source = renderer(fake_slack, ManualClock(1000.0))
    source.events.append(
        JobEvent(
            job_id=JOB,
            kind=EventKind.SUCCEEDED,
            text="done",
            channel=CHANNEL,
            thread_ts=THREAD,
            at=1.0,
            details={"changed": True, "request_text": "cordon node-3"},
        )
    )
    cards.step(block_ms=None)
    [card, _result] = fake_slack.calls("chat.postMessage")
    assert [block["type"] for block in card.body["blocks"]] == ["section", "context"]
