"""A plan is shown as a plan: a dry run's thread never says it succeeded, on its card or in its replies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from bot.core.jobs import job_id_for, plan_job_id, queue_name
from kubesim.server import Simulator
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


@pytest.mark.parametrize(
    ("command", "plan_of"),
    [
        pytest.param("cordon node-2 --dry-run", lambda job: job, id="dry-run"),
        pytest.param("drain node-2", plan_job_id, id="plan-of-an-approval"),
    ],
)
def test_a_plan_is_never_called_a_success(
    *,
    sim: Simulator,
    running: RunningBot,
    fake_slack: FakeSlack,
    connection: Redis,
    command: str,
    plan_of: Callable[[str], str],
) -> None:
    """The plan job's last word reads as a plan ("planned", nothing changed); no message of its thread says succeeded."""
    del sim
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    job_id = job_id_for(channel="C_OPS", message_ts=ts)
    plan = plan_of(job_id)
    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    work(connection)
    [last] = fake_slack.wait_for(
        "chat.postMessage",
        where=lambda call: call.body.get("thread_ts") == ts and f"`{plan}` planned" in call.text,
    )
    assert "nothing was changed" in last.text
    shown = [words(call) for call in thread_of(fake_slack, ts)]
    assert not [text for text in shown if "succeeded" in text.lower()], shown
