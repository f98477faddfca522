"""How fast the Slack app acknowledges: 500 signed mentions sent 20 at a time, ours against a bare Bolt app.

Both apps run as separate processes served the same way, against the same local fake of the Slack
Web API; ours runs `chatops bot` for real (HTTP mode, a real redis-server), so each mention is
de-duplicated, parsed, checked against the policy, enqueued and reacted to. Slack retries a delivery
not acknowledged within 3 s; the goal is within 1.5x of the bare app and far under 3 s.
Run: ``python -m benchmarks slack``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.stats import Sample, machine, table
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SECRET, SlackSender
from tests.support.ports import free_port
from tests.support.redis_server import running_redis

CHATOPS = Path(sys.executable).parent / "chatops"


def wait_healthy(url: str, *, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not become healthy")
        time.sleep(0.1)


def blast(events_url: str, response_url: str, *, count: int, concurrency: int) -> Sample:
    """Send ``count`` mentions, ``concurrency`` at a time; the time to each HTTP answer."""
    sender = SlackSender(events_url, response_url=response_url)
    events = [
        sender.message_event(
            f"<@UBOT> cordon node-{i % 3 + 1} --dry-run",
            user="U_ALICE",
            ts=sender.new_ts(),
            kind="app_mention",
        )
        for i in range(count)
    ]

    def one(event: dict[str, object]) -> float:
        started = time.perf_counter()
        status, _ = sender.send_event(event)
        if status != 200:
            raise RuntimeError(f"a mention was answered {status}")
        return time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        timings = list(pool.map(one, events))
    return Sample("ack", tuple(timings))


def main(argv: list[str] | None = None) -> int:
    """Run both apps, blast each, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks slack")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, list[Sample]] = {"ours": [], "bare": []}
    with (
        tempfile.TemporaryDirectory() as directory,
        running_redis(Path(directory)) as redis,
        FakeSlack() as fake,
    ):
        ours_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "REDIS_URL": redis.url,
            "HOST": "127.0.0.1",
            "PORT": str(ours_port),
        }
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("CHATOPS_POLICY", None)
        ours = subprocess.Popen(
            [str(CHATOPS), "bot"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        bare = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bare_bolt", str(bare_port), fake.url, SECRET],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_healthy(f"http://127.0.0.1:{ours_port}/healthz")
            wait_healthy(f"http://127.0.0.1:{bare_port}/healthz")
            for _ in range(args.rounds):
                for name, port in (("ours", ours_port), ("bare", bare_port)):
                    url = f"http://127.0.0.1:{port}/slack/events"
                    results[name].append(
                        blast(url, fake.response_url, count=args.events, concurrency=args.concurrency)
                    )
        finally:
            for process in (ours, bare):
                process.terminate()
                process.wait(timeout=10)
    ours_all = Sample("ours", tuple(t for s in results["ours"] for t in s.seconds))
    bare_all = Sample("bare", tuple(t for s in results["bare"] for t in s.seconds))
    rows = [("figure", "ours", "bare Bolt (peer)", "ratio")]
    for label, q in (("ack p50", 0.5), ("ack p99", 0.99)):
        mine, peer = ours_all.quantile(q), bare_all.quantile(q)
        rows.append((label, f"{mine * 1000:.1f} ms", f"{peer * 1000:.1f} ms", f"{mine / peer:.2f}x"))
    print(
        f"Slack acknowledgement benchmark: {args.events} signed mentions, {args.concurrency} at a time, "
        f"{args.rounds} rounds each, interleaved"
    )
    print(f"machine: {machine()}")
    print(table(rows))
    return 0
