"""`chatops control-plane` itself, as an operator starts it: a real kube-apiserver of the 1.37 line that
kubectl fully works with (discovery, explain, access reviews, events, node Leases), stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from controlplane.build import Binaries
from kubesim.testing import kubectl_path
from tests.workers.harness import wait_for

pytestmark = pytest.mark.control_plane

CHATOPS = Path(sys.executable).parent / "chatops"


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECACHEDIR": str(kubeconfig.parent / "cache")}
    return subprocess.run(
        [str(kubectl_path()), "--kubeconfig", str(kubeconfig), *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip


@pytest.fixture(name="started")
def fixture_started(
    control_plane_binaries: Binaries, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`chatops control-plane` on a free port, once it has said where its kubeconfig is."""
    kubeconfig = tmp_path / "cp.yaml"
    process = subprocess.Popen(
        [str(CHATOPS), "control-plane", "--port", "0", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("kubeconfig written to"):
            break
    assert kubeconfig.exists(), "".join(lines)
    try:
        yield process, kubeconfig
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def test_kubectl_works_on_it_as_on_a_kubeadm_cluster(started: tuple[subprocess.Popen[str], Path]) -> None:
    """/version names a real 1.37 server; explain, auth can-i, events and node Leases all answer."""
    _, kubeconfig = started
    version = json.loads(kubectl(kubeconfig, "get", "--raw", "/version").stdout)
    assert (version["major"], version["minor"]) == ("1", "37")
    assert version["gitVersion"].startswith("v1.37.")
    explained = kubectl(kubeconfig, "explain", "deployment.spec.strategy")
    assert explained.returncode == 0 and "rollingUpdate" in explained.stdout, explained.stderr
    allowed = kubectl(
        kubeconfig,
        "auth",
        "can-i",
        "create",
        "pods",
        "--subresource=eviction",
        "--as",
        "system:serviceaccount:chatops:chatops-worker",
    )
    assert allowed.stdout.strip() == "yes", allowed.stderr
    denied = kubectl(
        kubeconfig, "auth", "can-i", "delete", "pods", "--as", "system:serviceaccount:chatops:chatops-worker"
    )
    assert denied.stdout.strip() == "no"
    events = kubectl(kubeconfig, "get", "events", "-A", "-o", "name")
    assert events.returncode == 0 and events.stdout.strip(), events.stderr
    leases = kubectl(kubeconfig, "get", "leases", "-n", "kube-node-lease", "-o", "name")
    assert sorted(leases.stdout.split()) == [
        f"lease.coordination.k8s.io/{n}" for n in ("cp-1", "node-1", "node-2", "node-3")
    ]


def test_sigterm_stops_every_part(started: tuple[subprocess.Popen[str], Path]) -> None:
    """SIGTERM ends the command with status 0, and the API server stops answering."""
    process, kubeconfig = started
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert kubectl(kubeconfig, "get", "--raw", "/readyz", "--request-timeout=2s").returncode != 0


def test_a_killed_command_leaves_nothing_running(started: tuple[subprocess.Popen[str], Path]) -> None:
    """SIGKILL (no clean-up possible): its etcd, API server, controllers and KWOK die with it."""
    process, kubeconfig = started
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    port = int(server.rsplit(":", 1)[1])
    process.kill()
    process.wait(timeout=10)
    wait_for(lambda: not listening(port), what="the API server to die with its parent", seconds=10)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_version_it_is_not_built_from_is_refused(control_plane_binaries: Binaries) -> None:
    """--server-version names what it has instead of starting something else."""
    refused = subprocess.run(
        [str(CHATOPS), "control-plane", "--server-version", "v1.31.4"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert "v1.31.4 is not available" in refused.stderr and "v1.37.2" in refused.stderr
