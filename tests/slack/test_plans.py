"""A plan is shown as a plan: a dry run's thread never says it succeeded, on its card or in its replies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from bot.core.approvals import approval_id_for
from kubesim.server import Simulator
from shared.jobs import job_id_for, plan_job_id, queue_name
from tests.slack.conftest import ALICE, RunningBot
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack
from workers import cluster

pytestmark = pytest.mark.redis


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


def thread_of(fake_slack: FakeSlack, ts: str) -> list[Call]:
    """Every message posted in the thread of ``ts``, and every card update (this test's only thread has cards)."""
    calls = fake_slack.calls()
    return [call for call in calls if call.body.get("thread_ts") == ts or call.method == "chat.update"]


def words(call: Call) -> str:
    """What a call shows: its text and its blocks."""
    return call.text + json.dumps(call.body.get("blocks") or [])


def says_planned(job_id: str) -> Callable[[Call], bool]:
    """The dry run's last word: "`JOB` planned"."""
    return lambda call: f"`{job_id}` planned" in call.text and "nothing was changed" in call.text


def asks_approval(job_id: str) -> Callable[[Call], bool]:
    """The plan of an approval ends in the request it opens (the plan and the buttons), its only message."""
    return lambda call: "blocks" in call.body and approval_id_for(job_id=job_id) in words(call)


@pytest.mark.parametrize(
    ("command", "last_word"),
    [
        pytest.param("cordon node-2 --dry-run", says_planned, id="dry-run"),
        pytest.param("drain node-2", asks_approval, id="plan-of-an-approval"),
    ],
)
def test_a_plan_is_never_called_a_success(
    *,
    sim: Simulator,
    running: RunningBot,
    fake_slack: FakeSlack,
    connection: Redis,
    command: str,
    last_word: Callable[[str], Callable[[Call], bool]],
) -> None:
    """The plan's last word reads as a plan (nothing changed, or the request it opens); no message of its thread says succeeded."""
    del sim
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    work(connection)
    ends = last_word(job_id)
    fake_slack.wait_for(
        "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts and ends(call)
    )
    shown = [words(call) for call in thread_of(fake_slack, ts)]
    assert not [text for text in shown if "succeeded" in text.lower()], shown
    assert not [text for text in shown if plan_job_id(job_id) in text], shown
