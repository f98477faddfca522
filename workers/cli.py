"""``chatops worker``: a forking RQ worker for one cluster's queue, as run in production.

It reads the same environment as the bot (``REDIS_URL``, ``KUBECONFIG``, ``CHATOPS_CLUSTER``, and
``CHATOPS_JOB_KEY``, without which it refuses to start: it runs only jobs signed with it) and
listens on the queue of its cluster only, so one worker (or several) can run inside each cluster.
With ``CHATOPS_SCHEDULE`` set it also runs the backup scheduler loop (see :mod:`workers.scheduler`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from rq.serializers import JSONSerializer

from shared.job_signing import JOB_KEY_VARIABLE, JobSigner, job_key_problem
from shared.jobs import queue_name
from shared.logs import configure_json_logging
from shared.messages.policy import bad_cluster_name
from shared.names import DEFAULT_CLUSTER, is_cluster_name
from workers import cluster, etcd, metrics_setup, observing, scheduler
from workers import jobs as _preloaded_jobs  # noqa: F401  (loaded once here, so each forked horse has it)
from workers.admission import admitted_job_class
from workers.schedule import ScheduleError
from workers.watchdog import WatchedWorker, WatchSettings


def build_parser() -> argparse.ArgumentParser:
    """The worker's command line."""
    parser = argparse.ArgumentParser(prog="chatops worker", description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", help="the cluster whose queue to serve (default: CHATOPS_CLUSTER)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    parser.add_argument(
        "--with-scheduler",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run RQ's scheduler, which starts deferred jobs at their time (default: on)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics of this worker's jobs at /metrics on this port (default: none)",
    )
    defaults = WatchSettings()
    parser.add_argument(
        "--liveness-seconds",
        type=float,
        default=defaults.liveness_seconds,
        help="a worker silent this long is dead and its job is failed (default %(default)s)",
    )
    parser.add_argument(
        "--reap-interval",
        type=float,
        default=defaults.reap_interval_seconds,
        help="how often to look for jobs of dead workers (default %(default)s)",
    )
    return parser


def main(
    argv: list[str] | None = None,
    *,
    connect: Callable[[str], Redis],
    environ: dict[str, str] | None = None,
) -> int:
    """Run a worker until stopped (SIGTERM: finish the current job, then exit).

    ``connect`` turns ``REDIS_URL`` into a client (plain Redis or Sentinel); the composition root
    that starts the worker (``chatops.cli``) hands it over, as workers may not import the bot.
    """
    args = build_parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    redis_url = env.get("REDIS_URL", "").strip()
    if not redis_url:
        print("chatops worker needs REDIS_URL (for example redis://127.0.0.1:6379/0).", file=sys.stderr)
        return 2
    try:
        schedule = scheduler.schedule_from_environment(env)
    except ScheduleError as error:
        print(f"chatops worker: {error}", file=sys.stderr)
        return 2
    kubeconfig = env.get("KUBECONFIG", "").strip()
    cluster.configure(kubeconfig=Path(kubeconfig) if kubeconfig else None)
    try:
        etcd.configure(etcd.EtcdSettings.from_env(env))
    except etcd.EtcdSettingsError as error:
        print(f"chatops worker: {error}", file=sys.stderr)
        return 2
    cluster_name = args.cluster or env.get("CHATOPS_CLUSTER", "").strip() or DEFAULT_CLUSTER
    if not is_cluster_name(cluster_name):
        print(f"chatops worker: {bad_cluster_name(name=cluster_name)}", file=sys.stderr)
        return 2
    job_key = env.get(JOB_KEY_VARIABLE, "").strip()
    problem = job_key_problem(job_key, program="chatops worker")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    configure_json_logging()
    try:
        connection = connect(redis_url)
    except ValueError as error:
        print(f"chatops worker: REDIS_URL {error}", file=sys.stderr)
        return 2
    worker = WatchedWorker(
        [queue_name(cluster_name)],
        connection=connection,
        name=args.name,
        serializer=JSONSerializer,
        job_class=admitted_job_class(job_key.encode()),
        watch=WatchSettings(liveness_seconds=args.liveness_seconds, reap_interval_seconds=args.reap_interval),
    )
    if args.metrics_port is not None:
        directory = env.get(observing.MULTIPROC_DIR_VARIABLE, "")
        queues = [queue_name(cluster_name)]
        metrics_setup.serve_metrics(
            port=args.metrics_port, connection=connection, queues=queues, directory=directory
        )
    if schedule and not args.burst:
        scheduler.Scheduler(
            connection, schedule, cluster=cluster_name, name=worker.name, signer=JobSigner(job_key.encode())
        ).start()
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler)
    return 0
