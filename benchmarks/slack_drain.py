"""How many Slack Web API calls one 200-pod drain costs, against the job events the worker published for it.

Issue 6 asks for a drain's chat traffic to stay small (goal: under 10 calls), however many pods it moves:
the job card is posted once and kept current with coalesced ``chat.update`` calls. Each repetition builds
everything afresh and runs it for real: the local fake of the Slack Web API, a real ``redis-server``, a
kubesim simulator with the busy node of ``benchmarks.drain`` (200 replicas of ``shop`` behind a budget,
all on node-1), the real bot from :func:`bot.slack.run.build_bot` with its job cards at their production
interval, and our ``drain`` job enqueued the way the bot enqueues it, in a Slack thread, worked by a
forking ``chatops worker --burst``. Once the card shows the final state and the result is broadcast,
the calls the fake recorded (all but the bot's one ``auth.test``) are counted; the peer figure is the
number of job events the worker put on the stream for the same drain.

The simulator runs ``--speed`` times faster than real time, so the drain is shorter than on a cluster;
since card updates grow further apart as a job goes on, a longer drain costs only a few calls more.
Memory, from /proc: before each drain a standing ``chatops worker`` and, as its peer, a bare ``rq worker`` are
started on the empty queue and their resident size read at rest; during the drain the ``--burst`` worker and
its work-horse are sampled for their peak. Run: ``python -m benchmarks slack-drain [--replicas 200]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Worker

from benchmarks.drain import BUSY_NODE, busy_cluster, ready_pods
from benchmarks.job_key import BENCH_ENV, BENCH_JOB_KEY, BENCH_SIGNER
from benchmarks.rss import mib, peak_rss, settled_rss
from benchmarks.stats import Row, machine, ratio, table
from bot.core.policy_file import demo_policy
from bot.dispatch import RQDispatcher
from bot.settings import Secret, Settings
from bot.slack.assembly import SlackBot, build_bot
from bot.wiring import build_engine
from shared.invocation import Invocation
from shared.jobevents import EVENTS_STREAM, RequestContext
from shared.jobs import job_spec
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signed import SECRET
from tests.support.redis_server import running_redis

CHATOPS = Path(sys.executable).parent / "chatops"
RQ = Path(sys.executable).parent / "rq"
CLUSTER = "default"
CHANNEL = "C_OPS"
THREAD_TS = "1700000000.000100"
"""The request's message: the drain's card and replies go in its thread."""
UNCOUNTED = frozenset({"auth.test"})
"""Calls made once when the bot starts, not for any job."""


@dataclasses.dataclass(frozen=True)
class DrainCalls:
    """What one drain cost in Slack calls, and what the worker said about it."""

    posts: int
    """``chat.postMessage``: the card, thread replies (plans, warnings), the broadcast result."""
    updates: int
    """``chat.update`` of the card."""
    others: int
    """Any other Web API call made while the drain ran (``auth.test`` excepted)."""
    events: int
    """Job events the worker published for the drain."""
    seconds: float
    """Enqueue to the broadcast result."""
    worker_rest_rss: int
    """RSS of a ``chatops worker`` on an empty queue."""
    bare_rq_rest_rss: int
    """RSS of a bare ``rq worker`` on an empty queue (the peer)."""
    worker_peak_rss: int
    """Peak RSS of the ``chatops worker --burst`` tree (parent and work-horse) during the drain."""

    @property
    def calls(self) -> int:
        """Every Web API call counted."""
        return self.posts + self.updates + self.others


def bench_bot(fake: FakeSlack, connection: Redis, *, redis_url: str) -> SlackBot:
    """The real bot against the fake Slack under the demo policy, every interval at its default."""
    settings = Settings(
        redis_url=redis_url,
        slack_bot_token=Secret("xoxb-bench"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake.url,
    )
    engine = build_engine(
        policy=demo_policy(), connection=connection, cluster=CLUSTER, job_key=BENCH_JOB_KEY.encode()
    )
    return build_bot(settings, connection=connection, engine=engine)


def enqueue_drain(connection: Redis, *, job_id: str) -> None:
    """Enqueue the drain of the busy node as the bot does for ``drain node-1`` said in a thread."""
    request = RequestContext(
        job_id=job_id,
        user="U_ALICE",
        channel=CHANNEL,
        thread_ts=THREAD_TS,
        cluster=CLUSTER,
        command=Invocation(name="drain", arguments={"node": BUSY_NODE}).to_json(),
    )
    spec = job_spec(
        command_name="drain",
        arguments={"node": BUSY_NODE},
        request=request,
        description=f"drain node/{BUSY_NODE}",
    )
    submission = RQDispatcher(connection, signer=BENCH_SIGNER).submit(spec)
    if submission.duplicate:
        raise RuntimeError(f"job {job_id} was already queued")


def published_events(connection: Redis, *, job_id: str) -> int:
    """How many events on the stream belong to ``job_id``."""
    entries: Any = connection.xrange(EVENTS_STREAM)
    return sum(1 for _id, fields in entries if fields.get(b"job_id") == job_id.encode())


def is_result(call: Call) -> bool:
    """True for the final sentence broadcast to the channel."""
    return call.method == "chat.postMessage" and bool(call.body.get("reply_broadcast"))


def wait_until_shown(fake: FakeSlack, bot: SlackBot, *, timeout: float) -> None:
    """Wait until the result is broadcast, the card says succeeded and the renderer has nothing left."""
    [result] = fake.wait_for("chat.postMessage", where=is_result, timeout=timeout)
    if "succeeded" not in result.text:
        raise RuntimeError(f"the drain did not succeed: {result.text}")
    [card] = fake.calls("chat.postMessage")[:1]
    shown = fake.messages[(CHANNEL, str(card.answer["ts"]))]
    if "succeeded" not in str(shown.get("text")):
        raise RuntimeError(f"the card does not show the final state: {shown.get('text')}")
    deadline = time.monotonic() + 10
    while bot.cards.pending:
        if time.monotonic() > deadline:
            raise RuntimeError("the job card still has calls to make")
        time.sleep(0.05)


def worker_env(*, redis_url: str, kubeconfig: Path) -> dict[str, str]:
    """The environment of a ``chatops worker`` for the benchmark's cluster."""
    return {
        **os.environ,
        **BENCH_ENV,
        "REDIS_URL": redis_url,
        "KUBECONFIG": str(kubeconfig),
        "CHATOPS_CLUSTER": CLUSTER,
    }


def run_worker(workdir: Path, *, redis_url: str, kubeconfig: Path, timeout: float) -> int:
    """Run ``chatops worker --burst`` until the queue is empty; returns the peak RSS of it and its horse."""
    with (workdir / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [str(CHATOPS), "worker", "--burst"],
            env=worker_env(redis_url=redis_url, kubeconfig=kubeconfig),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            with peak_rss(worker.pid) as sampler:
                status = worker.wait(timeout=timeout)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    if status != 0:
        raise RuntimeError(f"chatops worker exited {status}; see {workdir / 'worker.log'}")
    return sampler.peak


def rss_at_rest(command: list[str], *, env: dict[str, str], connection: Redis, log: Path) -> int:
    """Start a worker on an empty queue, wait until it registers with Redis, read its tree's RSS, stop it."""
    registered = len(Worker.all(connection=connection))
    with log.open("wb") as output:
        worker = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while len(Worker.all(connection=connection)) <= registered:
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start; see {log}")
                time.sleep(0.1)
            return settled_rss(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def workers_at_rest(workdir: Path, *, redis_url: str, kubeconfig: Path, connection: Redis) -> tuple[int, int]:
    """RSS at rest of ``chatops worker`` and, as its peer, of a bare ``rq worker`` on the same Redis."""
    env = worker_env(redis_url=redis_url, kubeconfig=kubeconfig)
    ours = rss_at_rest(
        [str(CHATOPS), "worker", "--name", f"rest-{workdir.name}"],
        env=env,
        connection=connection,
        log=workdir / "worker-rest.log",
    )
    bare = rss_at_rest(
        [
            str(RQ),
            "worker",
            "--url",
            redis_url,
            "--serializer",
            "json",
            "--name",
            f"bare-{workdir.name}",
            "idle",
        ],
        env=env,
        connection=connection,
        log=workdir / "rq-worker-rest.log",
    )
    return ours, bare


def drain_calls(
    workdir: Path, *, replicas: int, spares: int, max_unavailable: int, speed: float, timeout: float
) -> DrainCalls:
    """One drain of the busy node, from enqueue to the broadcast result, with its calls counted."""
    job_id = f"job-bench-{workdir.name}"
    with (
        running_redis(workdir / "redis") as redis,
        FakeSlack() as fake,
        busy_cluster(
            workdir, replicas=replicas, spares=spares, max_unavailable=max_unavailable, speed=speed
        ) as sim,
    ):
        connection = Redis.from_url(redis.url)
        bot = bench_bot(fake, connection, redis_url=redis.url)
        bot.start_background()
        try:
            kubeconfig = sim.write_kubeconfig(workdir / "kubeconfig")
            rest, bare_rest = workers_at_rest(
                workdir, redis_url=redis.url, kubeconfig=kubeconfig, connection=connection
            )
            start = time.perf_counter()
            enqueue_drain(connection, job_id=job_id)
            peak = run_worker(workdir, redis_url=redis.url, kubeconfig=kubeconfig, timeout=timeout)
            wait_until_shown(fake, bot, timeout=timeout)
            seconds = time.perf_counter() - start
        finally:
            bot.stop_background()
        if ready_pods(sim, BUSY_NODE):
            raise RuntimeError(f"pods are still Ready on {BUSY_NODE} after the drain")
        calls = [call for call in fake.calls() if call.method not in UNCOUNTED]
        events = published_events(connection, job_id=job_id)
        connection.close()
    methods = [call.method for call in calls]
    posts, updates = methods.count("chat.postMessage"), methods.count("chat.update")
    return DrainCalls(
        posts=posts,
        updates=updates,
        others=len(calls) - posts - updates,
        events=events,
        seconds=seconds,
        worker_rest_rss=rest,
        bare_rq_rest_rss=bare_rest,
        worker_peak_rss=peak,
    )


def median(runs: list[DrainCalls], figure: str) -> float:
    """The median of one figure over the runs."""
    return float(statistics.median(getattr(run, figure) for run in runs))


def figures(argv: list[str] | None = None) -> list[Row]:
    """Run the drains and print the table; returns the calls-per-drain and worker memory rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks slack-drain")
    parser.add_argument("--replicas", type=int, default=200)
    parser.add_argument("--spares", type=int, default=4)
    parser.add_argument("--max-unavailable", type=int, default=10)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one drain may take")
    args = parser.parse_args(argv)
    runs: list[DrainCalls] = []
    with tempfile.TemporaryDirectory(prefix="bench-slack-drain-") as tmp:
        for n in range(1, args.repeat + 1):
            workdir = Path(tmp) / f"drain-{n}"
            workdir.mkdir()
            run = drain_calls(
                workdir,
                replicas=args.replicas,
                spares=args.spares,
                max_unavailable=args.max_unavailable,
                speed=args.speed,
                timeout=args.timeout,
            )
            runs.append(run)
            print(
                f"  drain #{n}: {run.calls} calls ({run.posts} postMessage, {run.updates} update, "
                f"{run.others} other) for {run.events} events in {run.seconds:.1f} s",
                flush=True,
            )
    calls, events = median(runs, "calls"), median(runs, "events")
    bare_rest = median(runs, "bare_rq_rest_rss")
    headline = [
        Row(
            f"Slack Web API calls per drain of {args.replicas} pods (median)",
            f"{calls:.0f} calls",
            "goal 10 calls",
            ratio(calls, 10),
        ),
        Row(
            f"memory of `chatops worker` + work-horse, peak during the {args.replicas}-pod drain",
            mib(median(runs, "worker_peak_rss")),
            f"bare `rq worker` at rest {mib(bare_rest)}",
            ratio(median(runs, "worker_peak_rss"), bare_rest),
        ),
        Row(
            "memory of `chatops worker` at rest (empty queue)",
            mib(median(runs, "worker_rest_rss")),
            f"bare `rq worker` at rest {mib(bare_rest)}",
            ratio(median(runs, "worker_rest_rss"), bare_rest),
        ),
    ]
    rows = [("figure", "ours (median)", "peer (median)", "ratio")]
    rows.append(
        (
            f"Slack Web API calls, drain of {args.replicas} pods (goal < 10)",
            f"{calls:.0f} calls",
            f"{events:.0f} job events published",
            f"{calls / events:.3f}",
        )
    )
    rows.append(
        (
            "  of which chat.postMessage / chat.update / other",
            f"{median(runs, 'posts'):.0f} / {median(runs, 'updates'):.0f} / {median(runs, 'others'):.0f}",
            "",
            "",
        )
    )
    rows.append(("enqueue to broadcast result", f"{median(runs, 'seconds'):.1f} s", "", ""))
    rows += [headline[1].cells(), headline[2].cells()]
    print(
        f"Slack calls per drain: {args.repeat} drains of {BUSY_NODE}, {args.replicas} replicas, PDB "
        f"maxUnavailable {args.max_unavailable}, forking `chatops worker --burst`, job cards at their defaults"
    )
    print(table(rows))
    print(f"kubesim speed {args.speed}x; machine: {machine()}")
    return headline
