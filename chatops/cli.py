"""``chatops``: the one command line of the product.

::

    chatops console [--script FILE] [--as USER] [--pages]  chat with the bot in a terminal (the demo)
    chatops impersonation-role                             the worker's ClusterRole to act as the policy's people
    chatops worker  [--cluster NAME] [--burst]    run a forking RQ worker for a cluster's queue
    chatops sim     [--port P] [--scenario FILE]  serve the Kubernetes API simulator
    chatops control-plane [--port P] [--scenario FILE]  run a real control plane (KWOK nodes)
    chatops bot [--role all|front|runner]         run the Slack app (HTTP front + runner process)

This module is a composition root: it is where settings are read from the environment and the
pieces are put together, so it may import the workers, the simulator and the control plane, which
nothing else in the bot does.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import yaml
from redis import Redis

from bot import redis_url
from bot.console import DEMO_USERS, ConsoleSession, demo_name
from bot.core.page_links import PageLinks
from bot.core.policy import Policy
from bot.core.policy_file import PolicyError, demo_policy, load_policy_file
from bot.embedded import EmbeddedWorker, embedded_redis
from bot.events import EventFeed
from bot.settings import Secret, Settings, SettingsError
from bot.wiring import build_recorder, page_links, production_engine, timeline_key, timeline_retention
from shared.identities import impersonation_rules
from shared.job_signing import session_key
from shared.messages import console as console_messages


def build_parser() -> argparse.ArgumentParser:
    """The ``chatops`` command line."""
    parser = argparse.ArgumentParser(prog="chatops", description="Chat-ops for Kubernetes maintenance.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--script", type=Path, help="read the lines from FILE, print the conversation, exit")
    console.add_argument("--as", dest="user", default="alice", help="who is typing (default: alice)")
    console.add_argument(
        "--no-worker", action="store_true", help="do not run a worker in this process (use REDIS_URL workers)"
    )
    console.add_argument(
        "--pages", action="store_true", help="serve incident pages on 127.0.0.1:PORT for `timeline --link`"
    )
    commands.add_parser("worker", help="run a forking RQ worker for a cluster's queue", add_help=False)
    commands.add_parser("sim", help="serve the Kubernetes API simulator", add_help=False)
    commands.add_parser(
        "control-plane", help="run a real Kubernetes control plane with simulated nodes", add_help=False
    )
    commands.add_parser(
        "impersonation-role",
        help="print the worker's ClusterRole for acting as the policy's people (CHATOPS_POLICY)",
    )
    slack_bot = commands.add_parser("bot", help="run the Slack app")
    slack_bot.add_argument(
        "--role",
        choices=("all", "front", "runner"),
        default="all",
        help="all: the HTTP front and its runner process (default); front or runner: one half, to scale apart",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chatops`` console script: a bug is one clear line, not a traceback.

    Set ``CHATOPS_DEBUG=1`` to see the traceback.
    """
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("CHATOPS_DEBUG"):
            raise
        print(console_messages.internal_error(error), file=sys.stderr)
        return 1


def _main(arguments: list[str]) -> int:
    if arguments and arguments[0] == "worker":
        from workers.cli import main as worker_main

        return worker_main(arguments[1:], connect=redis_url.connect)
    if arguments and arguments[0] == "sim":
        from kubesim.cli import main as sim_main

        return sim_main(arguments[1:])
    if arguments and arguments[0] == "control-plane":
        from controlplane.cli import main as control_plane_main

        return control_plane_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        print(f"chatops: {error}", file=sys.stderr)
        return 2
    if args.command == "impersonation-role":
        return print_impersonation_role(settings)
    if args.command == "console":
        return run_console(
            settings, script=args.script, user=args.user, embedded_worker=not args.no_worker, pages=args.pages
        )
    from bot.slack.run import run_bot

    return run_bot(settings, role=args.role)


def print_impersonation_role(settings: Settings, *, out: TextIO | None = None) -> int:
    """Print the ClusterRole (YAML) that lets workers impersonate exactly the policy's people."""
    try:
        policy = load_policy(settings)
    except PolicyError as error:
        print(str(error), file=sys.stderr)
        return 2
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "chatops-worker-impersonate", "labels": {"app.kubernetes.io/name": "chatops"}},
        "rules": impersonation_rules(policy.identities),
    }
    print(yaml.safe_dump(role, sort_keys=False), end="", file=out or sys.stdout)
    return 0


def load_policy(settings: Settings) -> Policy:
    """The policy file named by ``CHATOPS_POLICY``, or the built-in demo policy."""
    return load_policy_file(settings.policy_path) if settings.policy_path else demo_policy()


def run_console(
    settings: Settings,
    *,
    script: Path | None,
    user: str,
    embedded_worker: bool = True,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    pages: bool = False,
) -> int:
    """Run the console chat; exit status 0, or 1 if a line crashed, 2 for bad settings.

    With ``pages``, incident pages are served on 127.0.0.1:``PORT`` while the console runs, signed
    with ``CHATOPS_PAGE_KEY`` or, without one, a key of this session only. Jobs are signed likewise:
    with ``CHATOPS_JOB_KEY`` (needed when ``chatops worker`` processes share ``REDIS_URL``) or a key of
    this session, which the in-process worker checks them by.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        policy = load_policy(settings)
    except PolicyError as error:
        print(str(error), file=sys.stderr)
        return 2
    if script is not None and not script.is_file():
        print(f"chatops console: no such script file: {script}", file=sys.stderr)
        return 2
    connection = embedded_redis() if settings.redis_url is None else redis_url.connect(settings.redis_url)
    with (
        cluster_for_console(settings) as (kubeconfig, cluster_source),
        console_pages(settings, connection=connection, on=pages, out=stdout) as links,
    ):
        from workers import cluster as worker_cluster
        from workers.admission import admitted_job_class

        worker_cluster.configure(kubeconfig=kubeconfig)
        job_key = settings.job_key.value.encode() if settings.job_key else session_key()
        chain_key = timeline_key(settings)
        if not settings.timeline_key:
            print(console_messages.demo_timeline_key(), file=sys.stderr)
        session = ConsoleSession(
            engine=production_engine(
                settings, policy=policy, connection=connection, links=links, job_key=job_key
            ),
            feed=EventFeed(connection),
            recorder=build_recorder(
                connection, consumer="console", timeline_key=chain_key, retention=timeline_retention(settings)
            ),
            out=stdout,
            worker=(
                EmbeddedWorker(
                    connection,
                    cluster=settings.cluster,
                    log_level="DEBUG" if os.environ.get("CHATOPS_DEBUG") else "CRITICAL",
                    job_class=admitted_job_class(job_key),
                )
                if embedded_worker
                else None
            ),
            user=DEMO_USERS.get(user.lower(), user),
        )
        if script is not None:
            with script.open(encoding="utf-8") as lines:
                return 0 if session.run(lines) else 1
        if not stdin.isatty():
            return 0 if session.run(stdin) else 1
        session.echo = False
        redis_source = "embedded (fakeredis)" if settings.redis_url is None else "from REDIS_URL"
        print(
            console_messages.banner(
                cluster_source=cluster_source, redis_source=redis_source, user=session.user_name
            ),
            file=stdout,
        )
        ok = True
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            while True:
                ok = session.handle_line(input(f"{session.user_name}> ")) and ok
        print(file=stdout)
        return 0 if ok else 1


@contextlib.contextmanager
def console_pages(
    settings: Settings, *, connection: Redis, on: bool, out: TextIO
) -> Iterator[PageLinks | None]:
    """Serve incident pages on 127.0.0.1:``PORT`` while the console runs (when ``on``); their links."""
    if not on:
        yield None
        return
    from starlette.applications import Starlette

    from bot.slack.ingress.server import ServerThread
    from bot.web.app import configured_page_routes

    url = settings.page_url or f"http://127.0.0.1:{settings.port}"
    key = settings.page_key or Secret(secrets.token_hex(32))
    links = page_links(dataclasses.replace(settings, page_key=key, page_url=url), connection=connection)
    app = Starlette(
        routes=configured_page_routes(
            links, connection=connection, timeline_key=timeline_key(settings), names=demo_name
        )
    )
    with ServerThread(app, host="127.0.0.1", port=settings.port):
        print(console_messages.pages_served(url=url), file=out)
        yield links


@contextlib.contextmanager
def cluster_for_console(settings: Settings) -> Iterator[tuple[Path, str]]:
    """The kubeconfig the console's worker uses: ``KUBECONFIG``, or a simulator started here."""
    if settings.kubeconfig is not None:
        yield settings.kubeconfig, f"from {settings.kubeconfig}"
        return
    from kubesim.server import Simulator

    with tempfile.TemporaryDirectory(prefix="chatops-console-") as directory, Simulator() as simulator:
        simulator.start()
        # Let the simulated cluster come up (pods scheduled and Ready) before the first command.
        simulator.controllers.settle(timeout=30.0)
        kubeconfig = simulator.write_kubeconfig(Path(directory) / "kubeconfig")
        yield kubeconfig, "kubesim (in-process, default scenario)"
