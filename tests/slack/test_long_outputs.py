"""Long outputs fit Slack: a plan of 200 pods and a list of 5,000 nodes are counts and first items,
in lines of at most 100 characters outside code blocks of data, with the whole list shared as a file.

The real app against the fake Web API, a real worker, and kubesim loaded with the big scenarios of
the benchmarks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from benchmarks.drain import busy_node_scenario, settle_on_busy_node
from benchmarks.kubesim_scale import write_scenario
from kubesim.server import Simulator
from shared.fit import LINE_WIDTH
from shared.jobs import queue_name
from tests.slack.conftest import ALICE, RunningBot
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack, SharedFile
from tests.slack.test_plans import words, work
from workers import cluster

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@contextmanager
def simulator(scenario: Path, tmp_path: Path) -> Iterator[Simulator]:
    """kubesim on ``scenario``, with this process's workers pointed at it."""
    with Simulator(scenario=scenario, speed=10) as sim:
        sim.start()
        cluster.configure(kubeconfig=sim.write_kubeconfig(tmp_path / "kubeconfig"))
        yield sim
    cluster.configure(kubeconfig=None)


def ask(running: RunningBot, fake_slack: FakeSlack, connection: Redis, command: str) -> str:
    """Alice asks; a worker runs the job; the thread's ts."""
    ts = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event(f"<@{BOT_USER}> {command}", user=ALICE, ts=ts, kind="app_mention")
    )
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    deadline = time.monotonic() + 10
    while not queue.count and time.monotonic() < deadline:
        time.sleep(0.05)
    work(connection)
    return ts


def shared(fake_slack: FakeSlack, name: str) -> SharedFile:
    """The file ``name`` shared in a thread, once it is."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [file for file in fake_slack.shared_files() if file.filename == name]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"{name} was never shared")


def long_lines(call: Call) -> list[str]:
    """The lines of a message over the width, outside code blocks."""
    outside = re.sub(r"```.*?```", "", call.text, flags=re.S)
    return [line for line in outside.splitlines() if len(line) > LINE_WIDTH]


def test_a_plan_of_200_pods_counts_them_names_the_first_and_shares_the_whole_list(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, tmp_path: Path
) -> None:
    """drain node-1 --dry-run with 200 pods on it: "evict 200 pod(s)", ten names, "and 190 more", the file."""
    scenario = busy_node_scenario(tmp_path / "busy.yaml", replicas=200, spares=3, max_unavailable=10)
    with simulator(scenario, tmp_path) as sim:
        settle_on_busy_node(sim, replicas=200)
        ts = ask(running, fake_slack, connection, "drain node-1 --dry-run")
        [plan] = fake_slack.wait_for(
            "chat.postMessage",
            where=lambda call: call.body.get("thread_ts") == ts and "Drain node/node-1" in call.text,
        )
        said = " ".join(plan.text.split())
        assert "evict 200 pod(s): default/shop-" in said
        assert len(re.findall(r"default/shop-[0-9a-f]+-\w{5}\b", said)) == 10
        assert "and 190 more" in said
        assert long_lines(plan) == []
        whole = shared(fake_slack, "drain-node-1-plan.txt")
        assert whole.thread_ts == ts
        evicted = whole.text.split("\n\n")[0].splitlines()
        assert evicted[0] == "Drain node/node-1: evict 200 pod(s)"
        assert len(evicted[1:]) == 200 and all(line.startswith("  default/shop-") for line in evicted[1:])


def test_a_list_of_5000_nodes_gives_the_counts_the_first_rows_and_the_whole_list_as_a_file(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, tmp_path: Path
) -> None:
    """nodes on 5,000 nodes: one message with the counts and 20 rows, and nodes.txt with all 5,000."""
    scenario = tmp_path / "big.yaml"
    write_scenario(scenario, nodes=5000, pods_per_node=0)
    with simulator(scenario, tmp_path):
        ts = ask(running, fake_slack, connection, "nodes")
        [answer] = fake_slack.wait_for(
            "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts, timeout=30
        )
        assert re.match(r"5,000 nodes: [\d,]+ Ready, [\d,]+ NotReady, 0 cordoned\. ", answer.text), (
            answer.text
        )
        table = re.search(r"```\n(.*?)\n```", answer.text, flags=re.S)
        assert table is not None and len(table.group(1).splitlines()) == 1 + 20
        assert "…and 4,980 more." in answer.text
        assert long_lines(answer) == []
        whole = shared(fake_slack, "nodes.txt")
        assert whole.thread_ts == ts
        assert len(whole.text.splitlines()) == 1 + 5000
        assert (
            len([call for call in fake_slack.calls("chat.postMessage") if call.body.get("thread_ts") == ts])
            == 1
        )


def test_the_request_for_a_drain_of_200_pods_shares_its_whole_plan_under_it(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, tmp_path: Path
) -> None:
    """drain node-1 needs a lead: the request shows the count and the first pods, the whole plan is a file."""
    scenario = busy_node_scenario(tmp_path / "busy.yaml", replicas=200, spares=3, max_unavailable=10)
    with simulator(scenario, tmp_path) as sim:
        settle_on_busy_node(sim, replicas=200)
        ts = ask(running, fake_slack, connection, "drain node-1")
        [request] = fake_slack.wait_for(
            "chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts and "blocks" in call.body
        )
        shown = " ".join(words(request).replace("\\n", " ").split())  # blocks are JSON: its line breaks too
        assert "evict 200 pod(s)" in shown and "and 190 more" in shown
        whole = shared(fake_slack, "drain-node-1-plan.txt")
        assert whole.thread_ts == ts
        assert whole.text.startswith("Drain node/node-1: evict 200 pod(s)\n")
