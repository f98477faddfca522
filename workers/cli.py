"""``chatops worker``: a forking RQ worker for one cluster's queue, as run in production.

It reads the same environment as the bot (``REDIS_URL``, ``KUBECONFIG``, ``CHATOPS_CLUSTER``) and
listens on the queue of its cluster only, so one worker (or several) can run inside each cluster.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from redis import Redis
from rq.serializers import JSONSerializer

from bot.core.jobs import queue_name
from bot.core.logs import configure_json_logging
from workers import cluster, etcd
from workers import jobs as _preloaded_jobs  # noqa: F401  (loaded once here, so each forked horse has it)
from workers.watchdog import WatchedWorker, WatchSettings


def build_parser() -> argparse.ArgumentParser:
    """The worker's command line."""
    parser = argparse.ArgumentParser(prog="chatops worker", description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", help="the cluster whose queue to serve (default: CHATOPS_CLUSTER)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    parser.add_argument("--with-scheduler", action="store_true", help="also run RQ's scheduler")
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


def main(argv: list[str] | None = None, *, environ: dict[str, str] | None = None) -> int:
    """Run a worker until stopped (SIGTERM: finish the current job, then exit)."""
    args = build_parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    redis_url = env.get("REDIS_URL", "").strip()
    if not redis_url:
        print("chatops worker needs REDIS_URL (for example redis://127.0.0.1:6379/0).", file=sys.stderr)
        return 2
    kubeconfig = env.get("KUBECONFIG", "").strip()
    cluster.configure(kubeconfig=Path(kubeconfig) if kubeconfig else None)
    etcd.configure(etcd.EtcdSettings.from_env(env))
    cluster_name = args.cluster or env.get("CHATOPS_CLUSTER", "").strip() or "default"
    configure_json_logging()
    connection = Redis.from_url(redis_url)
    worker = WatchedWorker(
        [queue_name(cluster_name)],
        connection=connection,
        name=args.name,
        serializer=JSONSerializer,
        watch=WatchSettings(liveness_seconds=args.liveness_seconds, reap_interval_seconds=args.reap_interval),
    )
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler)
    return 0
