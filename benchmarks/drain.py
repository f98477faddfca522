"""Draining a node of 200 pods guarded by a budget: our worker against ``kubectl drain``, same scenario, same run.

Figures, each with its peer:

* drain of node-1 (200 replicas of ``shop``, budget ``maxUnavailable``) by our ``drain`` job, run through
  RQ's ``SimpleWorker`` in this process on fakeredis, against the real ``kubectl drain --ignore-daemonsets
  --delete-emptydir-data`` (venv kubectl) on an identical fresh simulator; each repetition gets its own;
* command-to-done latency of ``cordon`` through a forking ``chatops worker`` on a real ``redis-server``
  (enqueue to the final event on the stream), against ``kubectl cordon`` on the same simulator.

kubectl sleeps a fixed 5 s after each 429 from the budget; our worker watches the budget and retries as
soon as it allows a disruption. The simulator runs ``--speed`` times faster than real time for both (pods
turn Ready and terminate faster); kubectl's sleep is real time, as in a cluster.

The scenario (shared with the drills in ``tests/drills``): :func:`busy_node_scenario` writes a Deployment
``shop`` guarded by ``shop-pdb`` whose pods must all run on ``node-1``, since the spare nodes start
cordoned; :func:`settle_on_busy_node` waits until every replica is Ready there, then uncordons the spares.
Run: ``python -m benchmarks drain [--replicas 200] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import yaml
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

from benchmarks.job_key import BENCH_ENV, BENCH_SIGNER
from benchmarks.stats import Row, Sample, figures_table, machine, ratio
from kubesim.server import Simulator
from kubesim.testing import Kubectl, running_simulator
from shared.job_signing import SignedJob
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent, RequestContext
from shared.jobs import queue_name

BUSY_NODE = "node-1"
DEPLOYMENT = "shop"
NAMESPACE = "default"
BUDGET = "shop-pdb"


def _node(name: str, *, cordoned: bool, pods: int) -> dict[str, Any]:
    capacity = {"cpu": "64", "memory": "256Gi", "pods": str(pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "spec": {"unschedulable": True} if cordoned else {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "nodeInfo": {"kubeletVersion": "v1.31.4", "kubeProxyVersion": "v1.31.4"},
        },
    }


def busy_node_scenario(path: Path, *, replicas: int, spares: int, max_unavailable: int) -> Path:
    """Write the scenario YAML to ``path``: ``replicas`` pods for node-1, ``spares`` cordoned spare nodes."""
    room = max(110, replicas + 10)
    documents: list[dict[str, Any]] = [_node(BUSY_NODE, cordoned=False, pods=room)]
    documents += [_node(f"node-{n}", cordoned=True, pods=room) for n in range(2, spares + 2)]
    labels = {"app": DEPLOYMENT}
    documents.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "shop", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    documents.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": BUDGET, "namespace": NAMESPACE},
            "spec": {"maxUnavailable": max_unavailable, "selector": {"matchLabels": labels}},
        }
    )
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return path


def ready_pods(sim: Simulator, node: str | None = None) -> list[dict[str, Any]]:
    """The Ready, not terminating pods of ``shop`` (on ``node`` if given)."""
    pods, _ = sim.store.list("pods", NAMESPACE)
    found = []
    for pod in pods:
        if (pod["metadata"].get("labels") or {}).get("app") != DEPLOYMENT:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if node is not None and (pod.get("spec") or {}).get("nodeName") != node:
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            found.append(pod)
    return found


def settle_on_busy_node(sim: Simulator, *, replicas: int, seconds: float = 60.0) -> None:
    """Wait until all replicas are Ready on node-1 and the budget has a status, then uncordon the spares."""
    deadline = time.monotonic() + seconds
    while True:
        budget = sim.store.find("poddisruptionbudgets", NAMESPACE, BUDGET) or {}
        settled = "disruptionsAllowed" in (budget.get("status") or {})
        if settled and len(ready_pods(sim, BUSY_NODE)) == replicas:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {replicas} replicas of {DEPLOYMENT} never became Ready on {BUSY_NODE}")
        time.sleep(0.05)
    nodes, _ = sim.store.list("nodes")
    for node in nodes:
        if node["metadata"]["name"] != BUSY_NODE:
            sim.store.patch(
                "nodes",
                None,
                node["metadata"]["name"],
                {"spec": {"unschedulable": None}},
                content_type="application/merge-patch+json",
            )


# --- the benchmark -----------------------------------------------------------------------------------------


def _request(job_id: str) -> dict[str, str]:
    return RequestContext(
        job_id=job_id, user="bench", channel="C0", thread_ts="0", cluster="default"
    ).to_json()


@contextlib.contextmanager
def busy_cluster(
    workdir: Path, *, replicas: int, spares: int, max_unavailable: int, speed: float
) -> Iterator[Simulator]:
    """A simulator with ``replicas`` Ready pods on the busy node and the spare nodes schedulable."""
    scenario = busy_node_scenario(
        workdir / "busy.yaml", replicas=replicas, spares=spares, max_unavailable=max_unavailable
    )
    with running_simulator(scenario=scenario, speed=speed) as sim:
        settle_on_busy_node(sim, replicas=replicas, seconds=300)
        yield sim


def _drained(sim: Simulator) -> bool:
    return ready_pods(sim, BUSY_NODE) == [] and not [
        pod for pod in sim.store.pods_on_node(BUSY_NODE) if (pod["metadata"].get("labels") or {}).get("app")
    ]


def timed_drain_job(kubeconfig: Path) -> tuple[float, Job]:
    """Seconds for our drain job of node-1, enqueued on fakeredis and worked by an in-process SimpleWorker
    with ``kubeconfig``; the finished RQ job comes back to be checked."""
    from workers import cluster

    cluster.configure(kubeconfig=kubeconfig)
    connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    start = time.perf_counter()
    job = queue.enqueue_call(
        "workers.jobs.drain",
        kwargs={"node": BUSY_NODE, "request": _request("job-bench")},
        job_id="job-bench",
        timeout=1800,
    )
    SimpleWorker([queue], connection=connection, serializer=JSONSerializer).work(burst=True)
    return time.perf_counter() - start, job


def drain_with_our_worker(sim: Simulator, workdir: Path) -> float:
    """Seconds for our drain job on the simulator."""
    seconds, job = timed_drain_job(sim.write_kubeconfig(workdir / "kubeconfig"))
    if job.get_status(refresh=True) != "finished" or not _drained(sim):
        raise RuntimeError(f"our drain did not finish: {job.get_status()}, {job.latest_result()}")
    return seconds


def drain_with_kubectl(sim: Simulator, workdir: Path) -> float:
    """Seconds for ``kubectl drain --ignore-daemonsets --delete-emptydir-data`` on the same scenario."""
    kubectl = Kubectl(sim, workdir, timeout=1800)
    start = time.perf_counter()
    kubectl("drain", BUSY_NODE, "--ignore-daemonsets", "--delete-emptydir-data", check=True)
    seconds = time.perf_counter() - start
    if not _drained(sim):
        raise RuntimeError("kubectl drain returned with pods left on the node")
    return seconds


@contextlib.contextmanager
def _redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(Exception):
                Redis.from_url(url).ping()
                break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


FINAL_EVENT_SECONDS = 30.0
"""How long a benchmark waits for a job's final event before calling the run failed."""


def _until_final(connection: Redis, job_id: str, *, after: str) -> JobEvent:
    last = after
    deadline = time.monotonic() + FINAL_EVENT_SECONDS
    while True:
        # Short blocking reads, well inside the client's socket timeout, until the deadline.
        reply: Any = connection.xread({EVENTS_STREAM: last}, block=1000)
        if not reply:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no final event for {job_id}")
            continue
        for entry_id, fields in reply[0][1]:
            last = entry_id
            decoded = {k.decode(): v.decode() for k, v in fields.items()}
            if decoded.get("job_id") != job_id:
                continue
            event = JobEvent.from_fields(decoded)
            if event.kind.is_final:
                return event


def cordon_latencies(sim: Simulator, workdir: Path, *, repeat: int) -> tuple[Sample, Sample]:
    """Enqueue-to-final-event of cordon/uncordon through a forking worker, and ``kubectl cordon`` as peer."""
    kubeconfig = sim.write_kubeconfig(workdir / "kubeconfig-worker")
    kubectl = Kubectl(sim, workdir / "kubectl-cordon")
    with _redis_server(workdir) as url:
        connection = Redis.from_url(url)
        queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
        env = {
            **os.environ,
            **BENCH_ENV,
            "REDIS_URL": url,
            "KUBECONFIG": str(kubeconfig),
            "CHATOPS_CLUSTER": "default",
        }
        log = (workdir / "worker.log").open("wb")
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "chatops"), "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        ours = []
        try:
            for n in range(repeat + 3):
                command = "cordon" if n % 2 == 0 else "uncordon"
                job_id = f"job-cordon-{n}"
                mark = connection.xadd(EVENTS_STREAM, {"bench": "mark"})
                after = mark.decode() if isinstance(mark, bytes) else str(mark)
                start = time.perf_counter()
                function, kwargs = f"workers.jobs.{command}", {"node": "node-2", "request": _request(job_id)}
                signed = SignedJob(job_id, queue.name, function, (), kwargs)
                queue.enqueue_call(
                    function, kwargs=kwargs, job_id=job_id, meta=BENCH_SIGNER.sign(signed, now=time.time())
                )
                event = _until_final(connection, job_id, after=after)
                elapsed = time.perf_counter() - start
                if event.kind != EventKind.SUCCEEDED:
                    raise RuntimeError(event.text)
                if n >= 3:
                    ours.append(elapsed)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()
    theirs = []
    for n in range(repeat + 3):
        start = time.perf_counter()
        kubectl("cordon" if n % 2 == 0 else "uncordon", "node-3", check=True)
        if n >= 3:
            theirs.append(time.perf_counter() - start)
    return Sample("cordon, forking worker", tuple(ours)), Sample("kubectl cordon (peer)", tuple(theirs))


def figures(argv: list[str] | None = None) -> list[Row]:
    """Run the drain benchmark and print its table; returns the drain and cordon rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks drain")
    parser.add_argument("--replicas", type=int, default=200)
    parser.add_argument("--spares", type=int, default=4)
    parser.add_argument("--max-unavailable", type=int, default=10)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cordon-repeat", type=int, default=30)
    args = parser.parse_args(argv)
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp:
        root = Path(tmp)
        for n in range(args.repeat):
            for name, drain, into in (
                ("ours", drain_with_our_worker, ours),
                ("kubectl", drain_with_kubectl, theirs),
            ):
                workdir = root / f"{name}-{n}"
                workdir.mkdir()
                with busy_cluster(
                    workdir,
                    replicas=args.replicas,
                    spares=args.spares,
                    max_unavailable=args.max_unavailable,
                    speed=args.speed,
                ) as sim:
                    into.append(drain(sim, workdir))
                print(f"  {name} drain #{n + 1}: {into[-1]:.2f} s", flush=True)
        workdir = root / "cordon"
        workdir.mkdir()
        with running_simulator(speed=args.speed) as sim:
            cordon, peer = cordon_latencies(sim, workdir, repeat=args.cordon_repeat)
    drain_ours = Sample("drain, our worker", tuple(ours))
    drain_kubectl = Sample("kubectl drain (peer)", tuple(theirs))
    rows = [
        Row(
            f"drain {args.replicas} pods, PDB maxUnavailable {args.max_unavailable} (median)",
            f"{drain_ours.median:.2f} s",
            f"kubectl drain {drain_kubectl.median:.2f} s",
            ratio(drain_ours.median, drain_kubectl.median),
        ),
        Row(
            "cordon, enqueue to final event, forking worker (median)",
            f"{cordon.median * 1000:.0f} ms",
            f"kubectl cordon {peer.median * 1000:.0f} ms",
            ratio(cordon.median, peer.median),
        ),
    ]
    print(figures_table(rows))
    print(
        f"drain runs: ours {', '.join(f'{s:.2f}' for s in ours)} s; kubectl {', '.join(f'{s:.2f}' for s in theirs)} s"
    )
    print(
        f"cordon p90: ours {cordon.quantile(0.9) * 1000:.0f} ms; kubectl {peer.quantile(0.9) * 1000:.0f} ms"
    )
    print(f"kubesim speed {args.speed}x; machine: {machine()}")
    return rows
