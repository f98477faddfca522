"""Lookups answer directly: the thread of `nodes`, `status`, `history`, `jobs`, `backup list` or `upgrade plan`
holds one message, the answer, with no queued, started or succeeded lines around it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from kubesim.server import Simulator
from shared.jobs import queue_name
from tests.slack.conftest import ALICE, RunningBot
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack
from workers import cluster

pytestmark = pytest.mark.redis

SETTLE_SECONDS = 1.0
"""How long the thread is watched after the answer, for any message that should not come."""


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """The default kubesim scenario, settled, with this process's workers pointed at it."""
    monkeypatch.setenv("CHATOPS_BACKUP_DIR", str(tmp_path / "backups"))
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


def posted_in(fake_slack: FakeSlack, ts: str) -> list[Call]:
    """The messages posted in the thread of ``ts``."""
    return [
        call
        for call in fake_slack.calls()
        if call.method in {"chat.postMessage", "chat.postEphemeral"} and call.body.get("thread_ts") == ts
    ]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        pytest.param("nodes", "node-1", id="nodes"),
        pytest.param("status web", "web", id="status"),
        pytest.param("history web", "REVISION", id="history"),
        pytest.param("jobs", "jobs", id="jobs"),
        pytest.param("backup list", "backup", id="backup-list"),
        pytest.param("upgrade plan", "v1.", id="upgrade-plan"),
    ],
)
def test_a_lookup_is_answered_with_exactly_one_message(
    *,
    sim: Simulator,
    running: RunningBot,
    fake_slack: FakeSlack,
    connection: Redis,
    command: str,
    answer: str,
) -> None:
    """One message in the thread, and it is the answer: no queued, started or succeeded around it."""
    del sim
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    deadline = time.monotonic() + 10
    while not posted_in(fake_slack, ts) and time.monotonic() < deadline:
        work(connection)
        time.sleep(0.05)
    time.sleep(SETTLE_SECONDS)
    [reply] = posted_in(fake_slack, ts)
    assert answer in reply.text
    for chatter in ("Queued", "started", "succeeded"):
        assert chatter not in reply.text
