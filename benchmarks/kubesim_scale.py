"""kubesim at scale: 5,000 nodes and 150,000 pods load and serve; lists by node come from an index.

Figures, each with its peer from the same run:

* load time of the scenario through the store, against parsing the same YAML alone;
* peak memory of the loaded simulator (the probe child's VmHWM above its RSS before the load, median of
  3 loads), against the size of the objects as JSON;
* latency of get / list-by-node / patch / evict over HTTP, against a ``/healthz`` round trip on
  the same keep-alive connection; and list-by-node (field selector, indexed) against the same
  pods selected by a label (a full scan).

By default controllers are not started: this measures the API server and store, which is what kubectl
and the workers hit. With ``--controllers`` the same simulator is measured twice, controllers running and
then stopped (the peer): the latencies above plus the process CPU time spent over ``--idle`` seconds of an
idle cluster, and how long the controllers' first passes over the loaded cluster take (every pod started
and made Ready). Run: ``make bench`` or ``python -m benchmarks kubesim --nodes 5000 --pods-per-node 30``
(add ``--controllers``).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from benchmarks.rss import status_bytes
from benchmarks.stats import Row, Sample, machine, measure, ratio, table

if TYPE_CHECKING:
    from kubesim.server import Simulator


def scenario_documents(*, nodes: int, pods_per_node: int) -> Iterator[dict[str, object]]:
    """A large cluster: Ready nodes and bare running pods spread evenly, labelled with their node."""
    for n in range(nodes):
        name = f"node-{n:05d}"
        yield {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "spec": {},
            "status": {
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "nodeInfo": {"kubeletVersion": "v1.31.4", "kubeProxyVersion": "v1.31.4"},
            },
        }
    for n in range(nodes):
        node = f"node-{n:05d}"
        for p in range(pods_per_node):
            yield {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"app-{n:05d}-{p:02d}",
                    "namespace": "default",
                    "labels": {"node": node},
                },
                "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx:1.27"}]},
            }


def write_scenario(path: Path, *, nodes: int, pods_per_node: int) -> int:
    """Write the scenario YAML; return the JSON size of its objects in bytes."""
    documents = list(scenario_documents(nodes=nodes, pods_per_node=pods_per_node))
    path.write_text(yaml.dump_all(documents, Dumper=yaml.CSafeDumper), encoding="utf-8")
    return sum(len(json.dumps(doc, separators=(",", ":"))) for doc in documents)


def load_probe(path: Path) -> dict[str, float]:
    """In this process (a fresh child): load the YAML into a simulator and take the peak memory, then free
    it and parse the YAML alone (the load's peer). The parse comes second so that its own peak, the whole
    file's objects at once, is not counted as the store's."""
    from kubesim.scenario import read_scenario
    from kubesim.server import Simulator

    baseline_rss = status_bytes(os.getpid(), "VmRSS")
    start = time.perf_counter()
    simulator = Simulator(scenario=path)
    load_seconds = time.perf_counter() - start
    peak_rss = status_bytes(os.getpid(), "VmHWM")
    del simulator
    gc.collect()
    start = time.perf_counter()
    read_scenario(path)
    parse_seconds = time.perf_counter() - start
    return {
        "parse_seconds": parse_seconds,
        "load_seconds": load_seconds,
        "peak_rss_bytes": float(peak_rss),
        "baseline_rss_bytes": float(baseline_rss),
    }


class Client:
    """A keep-alive HTTP client for precise round trips."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(
        self, method: str, path: str, body: object | None = None, content_type: str = "application/json"
    ) -> int:
        """One request; the body is read fully; returns the status."""
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status


def latencies(path: Path, *, nodes: int, pods_per_node: int, repeat: int) -> list[Sample]:
    """Round trips against a loaded simulator without controllers."""
    from kubesim.server import Simulator

    simulator = Simulator(scenario=path)
    simulator.start(controllers=False)
    try:
        return round_trips(
            Client(simulator.url),
            nodes=nodes,
            pods_per_node=pods_per_node,
            repeat=repeat,
            victims=_victims(nodes, pods_per_node, 0),
        )
    finally:
        simulator.stop()


def _victims(nodes: int, pods_per_node: int, first: int) -> Iterator[tuple[int, int]]:
    """(node, pod) numbers of the pods to evict, starting at the `first`th, never the same pod twice."""
    every = ((n, p) for p in range(pods_per_node) for n in range(nodes))
    for index, victim in enumerate(every):
        if index >= first:
            yield victim


def round_trips(
    client: Client, *, nodes: int, pods_per_node: int, repeat: int, victims: Iterator[tuple[int, int]]
) -> list[Sample]:
    """The measured requests: healthz (peer), get, list by node and by label, patch, evict."""
    middle = f"node-{nodes // 2:05d}"
    counter = iter(range(10**9))
    samples = [
        measure("healthz (peer)", lambda: client.call("GET", "/healthz"), repeat=repeat),
        measure(
            "get pod",
            lambda: client.call("GET", f"/api/v1/namespaces/default/pods/app-{nodes // 3:05d}-01"),
            repeat=repeat,
        ),
        measure(
            "list pods by node (index)",
            lambda: client.call("GET", f"/api/v1/pods?fieldSelector=spec.nodeName%3D{middle}"),
            repeat=repeat,
        ),
        measure(
            "list pods by label (scan, peer)",
            lambda: client.call("GET", f"/api/v1/pods?labelSelector=node%3D{middle}"),
            repeat=max(3, repeat // 10),
            warmup=1,
        ),
        measure(
            "patch node",
            lambda: client.call(
                "PATCH",
                f"/api/v1/nodes/{middle}",
                {"metadata": {"labels": {"bench": str(next(counter))}}},
                "application/strategic-merge-patch+json",
            ),
            repeat=repeat,
        ),
    ]

    def evict() -> None:
        n, p = next(victims)
        name = f"app-{n:05d}-{p:02d}"
        status = client.call(
            "POST",
            f"/api/v1/namespaces/default/pods/{name}/eviction",
            {
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": name, "namespace": "default"},
            },
        )
        if status != 201:
            raise RuntimeError(f"eviction of {name} answered {status}")

    samples.append(measure("evict pod", evict, repeat=repeat))
    return samples


def _quiet(simulator: Simulator, *, still: int = 3, timeout: float = 1800.0) -> float | None:
    """Wait until, for `still` consecutive seconds, the store did not change and the process used under a
    tenth of a core (a pass that re-reads everything without writing is not rest); returns the seconds until
    that quiet stretch began (how long the controllers took to bring the loaded cluster to rest), or None
    when they were still busy after `timeout` seconds."""
    start = time.perf_counter()
    version, quiet_since, calm = simulator.store.resource_version, start, 0
    while calm < still:
        if time.perf_counter() - start > timeout:
            return None
        cpu = time.process_time()
        time.sleep(1.0)
        busy = time.process_time() - cpu > 0.1 or simulator.store.resource_version != version
        version = simulator.store.resource_version
        if busy:
            calm, quiet_since = 0, time.perf_counter()
        else:
            calm += 1
    return quiet_since - start


def idle_cpu(seconds: float) -> float:
    """Process CPU time (all threads) spent while sleeping `seconds`: what the background work costs."""
    before = time.process_time()
    time.sleep(seconds)
    return time.process_time() - before


def controller_figures(
    path: Path, *, nodes: int, pods_per_node: int, repeat: int, idle: float, settle_timeout: float
) -> tuple[dict[str, float | None], list[Sample], list[Sample]]:
    """One simulator measured with its controllers running, then stopped (the peer)."""
    from kubesim.server import Simulator

    simulator = Simulator(scenario=path)
    simulator.start(controllers=True)
    try:
        figures: dict[str, float | None] = {"settle_seconds": _quiet(simulator, timeout=settle_timeout)}
        figures["idle_cpu_on"] = idle_cpu(idle)
        client = Client(simulator.url)
        on = round_trips(
            client,
            nodes=nodes,
            pods_per_node=pods_per_node,
            repeat=repeat,
            victims=_victims(nodes, pods_per_node, 0),
        )
        simulator.controllers.stop()
        _quiet(simulator, timeout=120.0)  # a pass still running past stop()'s join must not count as idle
        figures["idle_cpu_off"] = idle_cpu(idle)
        off = round_trips(
            client,
            nodes=nodes,
            pods_per_node=pods_per_node,
            repeat=repeat,
            victims=_victims(nodes, pods_per_node, repeat + 3),
        )
        return figures, on, off
    finally:
        simulator.stop()


def controllers_report(args: argparse.Namespace, path: Path) -> None:
    """Print the controllers-on figures next to the controllers-off peers from the same simulator."""
    pods = args.nodes * args.pods_per_node
    figures, on, off = controller_figures(
        path,
        nodes=args.nodes,
        pods_per_node=args.pods_per_node,
        repeat=args.repeat,
        idle=args.idle,
        settle_timeout=args.settle_timeout,
    )
    rows = [("figure", "controllers on", "controllers off (peer)", "ratio")]
    settle = figures["settle_seconds"]
    rested = f"{settle:.2f} s" if settle is not None else f"still busy after {args.settle_timeout:.0f} s"
    rows.append(("first passes until the cluster rests", rested, "-", "-"))
    cpu_on, cpu_off = float(figures["idle_cpu_on"] or 0.0), float(figures["idle_cpu_off"] or 0.0)
    rows.append(
        (
            f"CPU over {args.idle:.0f} s {'idle' if settle is not None else 'after the wait'}",
            f"{cpu_on:.3f} s ({cpu_on / args.idle:.1%} of a core)",
            f"{cpu_off:.3f} s ({cpu_off / args.idle:.1%})",
            f"{cpu_on / cpu_off:.1f}x" if cpu_off else "-",
        )
    )
    peers = {sample.name: sample for sample in off}
    for sample in on:
        peer = peers[sample.name]
        rows.append(
            (
                sample.name,
                f"{sample.median * 1000:.2f} ms (p99 {sample.quantile(0.99) * 1000:.2f})",
                f"{peer.median * 1000:.2f} ms (p99 {peer.quantile(0.99) * 1000:.2f})",
                f"{sample.median / peer.median:.2f}x",
            )
        )
    print(f"kubesim with controllers ({args.nodes} nodes, {pods} pods; medians of {args.repeat} requests)")
    print(f"machine: {machine()}")
    print(table(rows))


def figures(argv: list[str] | None = None) -> list[Row]:
    """Run the scale benchmark and print its table; returns the load, memory and index rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks kubesim")
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods-per-node", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=Path("bench-results"))
    parser.add_argument("--controllers", action="store_true", help="measure with controllers on vs off")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measurement")
    parser.add_argument("--settle-timeout", type=float, default=1800.0, help="longest wait for rest")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(load_probe(args.probe)))
        return []
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"scale-{args.nodes}x{args.pods_per_node}.yaml"
    json_bytes = write_scenario(path, nodes=args.nodes, pods_per_node=args.pods_per_node)
    if args.controllers:
        controllers_report(args, path)
        return []
    pods = args.nodes * args.pods_per_node
    probes = []
    for _ in range(3):
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks", "kubesim", "--probe", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        probes.append(json.loads(child.stdout.strip().splitlines()[-1]))
    probe = {key: statistics.median(p[key] for p in probes) for key in ("load_seconds", "parse_seconds")}
    peaks = [p["peak_rss_bytes"] - p["baseline_rss_bytes"] for p in probes]
    rss = statistics.median(peaks)
    samples = latencies(path, nodes=args.nodes, pods_per_node=args.pods_per_node, repeat=args.repeat)
    by_name = {sample.name: sample for sample in samples}
    peer = by_name["healthz (peer)"].median
    index, scan = (
        by_name["list pods by node (index)"].median,
        by_name["list pods by label (scan, peer)"].median,
    )
    headline = [
        Row(
            f"kubesim load of {args.nodes} nodes + {pods} pods",
            f"{probe['load_seconds']:.2f} s",
            f"YAML parse alone {probe['parse_seconds']:.2f} s",
            ratio(probe["load_seconds"], probe["parse_seconds"]),
        ),
        Row(
            f"kubesim peak memory of the loaded store ({args.nodes} nodes)",
            f"{rss / 2**20:.0f} MiB",
            f"objects as JSON {json_bytes / 2**20:.0f} MiB",
            f"{ratio(rss, json_bytes)} (runs: {', '.join(f'{peak / json_bytes:.2f}' for peak in peaks)})",
        ),
        Row(
            f"kubesim list pods of one node of {args.nodes} (index)",
            f"{index * 1000:.2f} ms",
            f"label scan {scan * 1000:.2f} ms",
            ratio(index, scan, digits=3),
        ),
    ]
    rows = [("figure", "median", "peer", "ratio")]
    rows += [row.cells() for row in headline[:2]]
    for sample in samples:
        if sample.name == "healthz (peer)":
            continue
        rows.append(
            (
                sample.name,
                f"{sample.median * 1000:.2f} ms (p99 {sample.quantile(0.99) * 1000:.2f})",
                f"healthz {peer * 1000:.2f} ms",
                f"{sample.median / peer:.1f}x",
            )
        )
    rows.append(headline[2].cells())
    print(
        f"kubesim scale benchmark ({args.nodes} nodes, {pods} pods; medians of 3 loads, {args.repeat} requests)"
    )
    print(f"machine: {machine()}")
    print(table(rows))
    return headline
