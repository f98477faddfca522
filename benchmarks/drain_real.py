"""The drain benchmark on the real control plane: our worker against ``kubectl drain``, same scenario, same run.

The scenario is :mod:`benchmarks.drain`'s busy node (``replicas`` pods of ``shop`` on node-1, guarded by
``shop-pdb`` with ``maxUnavailable``), loaded into a fresh control plane for every repetition of each
side (kube-apiserver, controller-manager and scheduler built from the Kubernetes modules; KWOK's
kubelets, which make replacement pods Ready at once). Here everything runs in real time, so kubectl's
fixed 5 s pause after a 429 weighs as it does on a cluster. Our side is the ``drain`` job worked by RQ's
``SimpleWorker`` in this process with deploy/'s worker ServiceAccount token.

Run: ``python -m benchmarks drain-real [--replicas 100] [--repeat 3]`` (it builds the control plane first
if ``make control-plane`` has not).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

from benchmarks.drain import BUSY_NODE, DEPLOYMENT, NAMESPACE, busy_node_scenario, timed_drain_job
from benchmarks.stats import Row, Sample, figures_table, machine, ratio
from controlplane.build import Binaries, ensure_built
from controlplane.cluster import ControlPlane
from kubesim.testing import kubectl_path


def _prepared(
    binaries: Binaries, workdir: Path, *, replicas: int, spares: int, max_unavailable: int
) -> ControlPlane:
    """A started control plane with every replica on node-1 and the spare nodes schedulable again."""
    scenario = busy_node_scenario(
        workdir / "busy.yaml", replicas=replicas, spares=spares, max_unavailable=max_unavailable
    )
    plane = ControlPlane(binaries, scenario=scenario)
    plane.start()
    core = client.CoreV1Api(
        config.new_client_from_config(config_file=str(plane.write_kubeconfig(workdir / "admin")))
    )
    for n in range(2, spares + 2):
        core.patch_node(f"node-{n}", {"spec": {"unschedulable": False}})
    return plane


def _left_on_node(plane: ControlPlane, workdir: Path) -> int:
    core = client.CoreV1Api(
        config.new_client_from_config(config_file=str(plane.write_kubeconfig(workdir / "admin")))
    )
    pods = core.list_namespaced_pod(
        NAMESPACE, label_selector=f"app={DEPLOYMENT}", field_selector=f"spec.nodeName={BUSY_NODE}"
    )
    return len(pods.items)


def drain_with_our_worker(plane: ControlPlane, workdir: Path) -> float:
    """Seconds for our drain job with the worker's ServiceAccount token."""
    seconds, job = timed_drain_job(plane.worker_kubeconfig(workdir / "worker"))
    if job.get_status(refresh=True) != "finished" or _left_on_node(plane, workdir):
        raise RuntimeError(f"our drain did not finish: {job.get_status()}, {job.latest_result()}")
    return seconds


def drain_with_kubectl(plane: ControlPlane, workdir: Path) -> float:
    """Seconds for ``kubectl drain --ignore-daemonsets --delete-emptydir-data`` as the admin."""
    kubeconfig = plane.write_kubeconfig(workdir / "admin")
    env = {**os.environ, "KUBECACHEDIR": str(workdir / "kubectl-cache")}
    start = time.perf_counter()
    subprocess.run(
        [str(kubectl_path()), "--kubeconfig", str(kubeconfig), "drain", BUSY_NODE, "--ignore-daemonsets", "--delete-emptydir-data"],
        check=True, capture_output=True, text=True, timeout=1800, env=env,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if _left_on_node(plane, workdir):
        raise RuntimeError("kubectl drain returned with pods left on the node")
    return seconds


def figures(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark and print its table; returns the drain row (and the start-up figure)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks drain-real")
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--spares", type=int, default=4)
    parser.add_argument("--max-unavailable", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    binaries = ensure_built()
    ours: list[float] = []
    theirs: list[float] = []
    starts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-drain-real-") as tmp:
        for n in range(args.repeat):
            for name, drain, into in (
                ("ours", drain_with_our_worker, ours),
                ("kubectl", drain_with_kubectl, theirs),
            ):
                workdir = Path(tmp) / f"{name}-{n}"
                workdir.mkdir()
                plane = _prepared(
                    binaries,
                    workdir,
                    replicas=args.replicas,
                    spares=args.spares,
                    max_unavailable=args.max_unavailable,
                )
                try:
                    starts.append(plane.started_in or 0.0)
                    into.append(drain(plane, workdir))
                finally:
                    plane.stop()
                print(
                    f"  {name} drain #{n + 1}: {into[-1]:.2f} s (control plane ready in {starts[-1]:.1f} s)",
                    flush=True,
                )
    drain_ours, drain_kubectl = Sample("ours", tuple(ours)), Sample("kubectl", tuple(theirs))
    rows = [
        Row(
            f"real control plane: drain {args.replicas} pods, PDB maxUnavailable {args.max_unavailable} (median)",
            f"{drain_ours.median:.2f} s",
            f"kubectl drain {drain_kubectl.median:.2f} s",
            ratio(drain_ours.median, drain_kubectl.median),
        )
    ]
    print(figures_table(rows))
    print(
        f"drain runs: ours {', '.join(f'{s:.2f}' for s in ours)} s; kubectl {', '.join(f'{s:.2f}' for s in theirs)} s"
    )
    print(f"control plane start-up to a settled scenario: {', '.join(f'{s:.1f}' for s in starts)} s")
    print(f"machine: {machine()}")
    return rows
