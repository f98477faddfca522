"""`chatops control-plane`: a real Kubernetes control plane in the foreground, with `chatops sim`'s options.

chatops control-plane --kubeconfig /tmp/cp.yaml
KUBECONFIG=/tmp/cp.yaml chatops console
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from controlplane.build import BuildError, ensure_built, kubernetes_version
from controlplane.cluster import ControlPlane
from controlplane.processes import StartError
from controlplane.settling import NotSettled


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatops control-plane",
        description="Run a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, "
        "kube-scheduler) with KWOK's simulated kubelets for the scenario's nodes.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=6443, help="API server port (default 6443; 0 = any)")
    parser.add_argument("--scenario", default="default", help='scenario YAML file, or "default"')
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=Path("control-plane.kubeconfig"),
        help="where to write the admin's kubeconfig (default ./control-plane.kubeconfig)",
    )
    parser.add_argument(
        "--server-version",
        default=None,
        help="version the API server must be (the one it is built from; any other is refused)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep PKI, etcd data and logs here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        binaries = ensure_built()
        built = kubernetes_version()
    except BuildError as error:
        print(f"chatops control-plane: {error}", file=sys.stderr)
        return 1
    if args.server_version not in (None, built):
        print(
            f"chatops control-plane: --server-version {args.server_version} is not available: "
            f"the control plane is built from Kubernetes {built} (controlplane/go/kubernetes/go.mod).",
            file=sys.stderr,
        )
        return 2
    if args.scenario != "default" and not Path(args.scenario).is_file():
        print(f"chatops control-plane: no such scenario file: {args.scenario}", file=sys.stderr)
        return 2
    plane = ControlPlane(
        binaries, scenario=args.scenario, host=args.host, port=args.port, workdir=args.workdir
    )
    try:
        plane.start()  # a Ctrl-C while starting stops what was started
    except (StartError, NotSettled) as error:
        print(f"chatops control-plane: {error}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        path = plane.write_kubeconfig(args.kubeconfig)
        print(
            f"Kubernetes {built} control plane serving {plane.url} (ready in {plane.started_in:.1f} s)",
            flush=True,
        )
        print(f"kubeconfig written to {path} (try: kubectl --kubeconfig {path} get nodes)", flush=True)
        print(f"logs and audit log in {plane.layout.logs}", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        plane.stop()
    return 0
