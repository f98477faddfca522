"""How fast the Slack app acknowledges: 500 signed mentions sent 20 at a time, ours against a bare Bolt app.

Both apps run as separate processes served the same way, against the same local fake of the Slack
Web API; ours runs `chatops bot` for real (HTTP mode, a real redis-server), so each mention is
de-duplicated, parsed, checked against the policy, enqueued and reacted to. Slack retries a delivery
not acknowledged within 3 s; the goal is within 1.5x of the bare app and far under 3 s.
The memory of both processes' trees (parent and any children, from /proc) is read at rest once they
answer and sampled throughout each blast. Run: ``python -m benchmarks slack``.
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

from benchmarks.job_key import BENCH_ENV
from benchmarks.rss import mib, peak_rss, settled_rss
from benchmarks.stats import Row, Sample, figures_table, machine, ratio
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SECRET, SlackSender
from tests.support.policies import DEMO_POLICY_FILE
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


def figures(argv: list[str] | None = None) -> list[Row]:
    """Run both apps, blast each, print the table; returns the acknowledgement and memory rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks slack")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, list[Sample]] = {"ours": [], "bare": []}
    at_rest: dict[str, int] = {}
    peak: dict[str, int] = {"ours": 0, "bare": 0}
    largest_at_rest: dict[str, int] = {}
    largest_peak: dict[str, int] = {"ours": 0, "bare": 0}
    with (
        tempfile.TemporaryDirectory() as directory,
        running_redis(Path(directory)) as redis,
        FakeSlack() as fake,
    ):
        ours_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            **BENCH_ENV,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "REDIS_URL": redis.url,
            "HOST": "127.0.0.1",
            "PORT": str(ours_port),
            "CHATOPS_POLICY": str(DEMO_POLICY_FILE),
        }
        env.pop("SLACK_APP_TOKEN", None)
        ours = subprocess.Popen(
            [str(CHATOPS), "bot"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        bare = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bare_bolt", str(bare_port), fake.url, SECRET],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes = {"ours": ours, "bare": bare}
        try:
            wait_healthy(f"http://127.0.0.1:{ours_port}/healthz")
            wait_healthy(f"http://127.0.0.1:{bare_port}/healthz")
            for name, process in processes.items():
                at_rest[name] = settled_rss(process.pid)
                largest_at_rest[name] = settled_rss(process.pid, largest=True)
            for _ in range(args.rounds):
                for name, port in (("ours", ours_port), ("bare", bare_port)):
                    url = f"http://127.0.0.1:{port}/slack/events"
                    with peak_rss(processes[name].pid) as sampler:
                        results[name].append(
                            blast(url, fake.response_url, count=args.events, concurrency=args.concurrency)
                        )
                    peak[name] = max(peak[name], sampler.peak)
                    largest_peak[name] = max(largest_peak[name], sampler.largest)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(timeout=10)
    ours_all = Sample("ours", tuple(t for s in results["ours"] for t in s.seconds))
    bare_all = Sample("bare", tuple(t for s in results["bare"] for t in s.seconds))
    rows = []
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        mine, peer = ours_all.quantile(q), bare_all.quantile(q)
        rows.append(
            Row(
                f"Slack ack {label}, {args.events} mentions x{args.rounds}, {args.concurrency} at a time",
                f"{mine * 1000:.1f} ms",
                f"bare Bolt {peer * 1000:.1f} ms",
                ratio(mine, peer),
            )
        )
    rows.append(
        Row(
            "memory of `chatops bot` (process tree) at rest",
            mib(at_rest["ours"]),
            f"bare Bolt {mib(at_rest['bare'])}",
            ratio(at_rest["ours"], at_rest["bare"]),
        )
    )
    rows.append(
        Row(
            f"memory of `chatops bot` (process tree), peak under the {args.events}-mention blast",
            mib(peak["ours"]),
            f"bare Bolt {mib(peak['bare'])}",
            ratio(peak["ours"], peak["bare"]),
        )
    )
    rows.append(
        Row(
            "memory of one `chatops bot` process (the larger of front and runner, each its own pod) at rest",
            mib(largest_at_rest["ours"]),
            f"bare Bolt {mib(largest_at_rest['bare'])}",
            ratio(largest_at_rest["ours"], largest_at_rest["bare"]),
        )
    )
    rows.append(
        Row(
            f"memory of one `chatops bot` process, peak under the {args.events}-mention blast",
            mib(largest_peak["ours"]),
            f"bare Bolt {mib(largest_peak['bare'])}",
            ratio(largest_peak["ours"], largest_peak["bare"]),
        )
    )
    print(
        f"Slack acknowledgement benchmark: {args.events} signed mentions, {args.concurrency} at a time, "
        f"{args.rounds} rounds each, interleaved"
    )
    print(f"machine: {machine()}")
    print(figures_table(rows))
    return rows
