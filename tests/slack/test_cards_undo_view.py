"""What a finished card shows about its undo: a valid Undo button, then who asked for it; nothing otherwise."""

from __future__ import annotations

import dataclasses

import pytest
from redis import Redis

from bot.slack.card_store import CardStore, StoredCard
from bot.slack.card_view import UNDO_ACTION, card_blocks, job_of_block
from shared.jobevents import EventKind
from tests.slack.test_approval_parts import valid

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
        dataclasses.replace(FINISHED, undo=None),
        dataclasses.replace(FINISHED, final=False, kind=EventKind.PROGRESS),
    ],
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
