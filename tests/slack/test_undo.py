"""Undo on a finished job card: a click runs the undo as the clicker, under the same policy as typing it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from bot.slack.views.card_view import UNDO_ACTION, UNDO_BLOCK_PREFIX
from kubesim.server import Simulator
from shared.jobs import job_id_for, queue_name
from tests.slack.conftest import ALICE, BOB, DAVE, RunningBot
from tests.slack.fake_slack import BOT_USER, TEAM, Call, FakeSlack
from tests.slack.signed import post
from workers import cluster
from workers.nodes import is_unschedulable, read_node

pytestmark = pytest.mark.redis

NODE = "node-2"


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Simulator]:
    """The default kubesim scenario, settled, with this process's workers pointed at it."""
    with Simulator(speed=10) as simulator:
        simulator.start()
        simulator.controllers.settle(timeout=30)
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        yield simulator


def work(connection: Redis) -> None:
    """Run every queued job of the default cluster in this process (a real worker, in burst mode)."""
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    SimpleWorker([queue], connection=connection, serializer=JSONSerializer).work(
        burst=True, logging_level="ERROR"
    )


def run_command(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, command: str
) -> tuple[str, str]:
    """Alice mentions the bot with ``command``; once it is queued a worker runs it. Returns job id and thread."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    fake_slack.wait_for("chat.postMessage", where=lambda call: job_id in call.text)
    work(connection)
    return job_id, ts


def undo_buttons(call: Call) -> list[dict[str, Any]]:
    """The Undo buttons a card call sent."""
    return [
        element
        for block in call.body.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == UNDO_ACTION
    ]


def finished_card(fake_slack: FakeSlack, job_id: str) -> Call:
    """Wait for the card's update that shows the finished job with its Undo button."""
    calls = fake_slack.wait_for(
        "chat.update",
        where=lambda call: (
            f"card:{job_id}" in json.dumps(call.body.get("blocks")) and bool(undo_buttons(call))
        ),
    )
    return calls[-1]


def click_undo(running: RunningBot, card: Call, *, job_id: str, thread_ts: str, user: str) -> None:
    """Click the card's Undo button, as Slack sends a block action."""
    [button] = undo_buttons(card)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "trigger_id": f"1.2.{time.monotonic_ns()}",
        "container": {
            "type": "message",
            "message_ts": card.body["ts"],
            "channel_id": card.body["channel"],
            "is_ephemeral": False,
            "thread_ts": thread_ts,
        },
        "channel": {"id": card.body["channel"]},
        "message": {"type": "message", "ts": card.body["ts"], "thread_ts": thread_ts, "text": card.text},
        "actions": [
            {
                "type": "button",
                "action_id": UNDO_ACTION,
                "block_id": UNDO_BLOCK_PREFIX + job_id,
                "value": button["value"],
                "action_ts": f"{int(time.time())}.{time.monotonic_ns() % 1_000_000:06d}",
            }
        ],
    }
    status, _ = post(
        running.slack.events_url,
        urlencode({"payload": json.dumps(payload)}).encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 200


def test_a_finished_cordon_offers_undo_and_a_click_by_someone_allowed_uncordons_the_node(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, sim: Simulator
) -> None:
    """cordon node-2 runs on a real worker; Bob clicks Undo: uncordon runs as Bob, the card names him."""
    job_id, thread_ts = run_command(running, fake_slack, connection, f"cordon {NODE}")
    card = finished_card(fake_slack, job_id)
    assert [button["value"] for button in undo_buttons(card)] == [f"uncordon {NODE}"]
    assert is_unschedulable(read_node(NODE))
    click_undo(running, card, job_id=job_id, thread_ts=thread_ts, user=BOB)
    [requested] = fake_slack.wait_for(
        "chat.update",
        where=lambda call: call.body["ts"] == card.body["ts"] and "Undo requested" in json.dumps(call.body),
    )
    assert undo_buttons(requested) == []
    assert f"Undo requested by <@{BOB}>" in json.dumps(requested.body["blocks"])
    work(connection)
    assert not is_unschedulable(read_node(NODE))


def test_a_viewer_clicking_undo_gets_the_policy_denial_privately_and_the_button_stays(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, sim: Simulator
) -> None:
    """Dave may only look: his click is denied by rule in an ephemeral, the card is untouched, nothing is queued."""
    job_id, thread_ts = run_command(running, fake_slack, connection, f"cordon {NODE}")
    card = finished_card(fake_slack, job_id)
    updates = len(fake_slack.calls("chat.update"))
    click_undo(running, card, job_id=job_id, thread_ts=thread_ts, user=DAVE)
    [denial] = fake_slack.wait_for("chat.postEphemeral", where=lambda call: call.body["user"] == DAVE)
    assert "uncordon" in denial.text, denial.text
    assert denial.body["thread_ts"] == thread_ts
    assert len(fake_slack.calls("chat.update")) == updates
    assert Queue(queue_name("default"), connection=connection, serializer=JSONSerializer).get_job_ids() == []
    assert is_unschedulable(read_node(NODE))
    click_undo(running, card, job_id=job_id, thread_ts=thread_ts, user=BOB)
    fake_slack.wait_for(
        "chat.update",
        where=lambda call: call.body["ts"] == card.body["ts"] and "Undo requested" in json.dumps(call.body),
    )
