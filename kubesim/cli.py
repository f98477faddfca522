"""`chatops sim`: run kubesim in the foreground for demos and manual kubectl sessions."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from kubesim.server import Simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatops sim", description="Run the kubesim Kubernetes API simulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=6443, help="port to listen on (default 6443; 0 = any)")
    parser.add_argument("--scenario", default="default", help='scenario YAML file, or "default"')
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=Path("kubesim.kubeconfig"),
        help="where to write a kubeconfig for kubectl (default ./kubesim.kubeconfig)",
    )
    parser.add_argument("--server-version", default="v1.31.4", help="version the API server reports")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the process exit code."""
    args = _parser().parse_args(argv)
    simulator = Simulator(scenario=args.scenario, server_version=args.server_version, speed=args.speed)
    try:
        simulator.start(host=args.host, port=args.port)
    except OSError as e:
        print(f"kubesim: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    # Handlers first, announcement second: a Ctrl-C that arrives right after the announcement
    # must find them in place (otherwise it could interrupt before the loop below is entered).
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        path = simulator.write_kubeconfig(args.kubeconfig)
        print(f"kubesim serving {simulator.url}", flush=True)
        print(f"kubeconfig written to {path} (try: kubectl --kubeconfig {path} get nodes)", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        simulator.stop()
    return 0
