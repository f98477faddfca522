"""A real Redis Sentinel set-up for tests: a master, optional replicas and sentinels, all loopback.

Every process is Debian's ``redis-server`` (a sentinel is ``redis-server sentinel.conf --sentinel``),
so the client code under test talks to the same software as in production.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.ports import free_port

SERVICE = "chatops"
"""The name the sentinel monitors the master under."""


def _binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    return binary


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = 15.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _answers(port: int) -> bool:
    try:
        return bool(Redis(port=port, socket_timeout=1).ping())
    except RedisConnectionError:
        return False


class SentinelSetUp:
    """Processes started by :func:`running_sentinel_setup`; ``url`` is the ``redis+sentinel://`` URL."""

    def __init__(
        self,
        directory: Path,
        *,
        sentinels: int = 1,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 10000,
    ) -> None:
        self.directory = directory
        self.down_after_ms = down_after_ms
        """How long the master must be silent before a sentinel thinks it down (then they fail over)."""
        self.failover_timeout_ms = failover_timeout_ms
        """Sentinel's ``failover-timeout``: a sentinel tries a failover again twice this long after an
        attempt that elected no leader."""
        self.processes: list[subprocess.Popen[bytes]] = []
        self.master_port = free_port()
        self.replica_ports: list[int] = []
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.sentinel_port = self.sentinel_ports[0]
        self._servers: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """The REDIS_URL a bot or worker would be given (every sentinel listed)."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    @property
    def quorum(self) -> int:
        """Sentinels that must agree the master is down: a majority."""
        return len(self.sentinel_ports) // 2 + 1

    def sentinel(self) -> Redis:
        """A plain client of the sentinel itself, for SENTINEL commands."""
        return Redis(port=self.sentinel_port, socket_timeout=5, decode_responses=True)

    def master_address(self) -> tuple[str, int]:
        """Where the sentinel currently says the master is."""
        address = self.sentinel().sentinel_get_master_addr_by_name(SERVICE)
        if not isinstance(address, tuple):
            raise AssertionError(f"the sentinel knows no master called {SERVICE!r}")
        host, port = address
        return str(host), int(port)

    def start_server(self, port: int, *extra: str) -> None:
        """Start one redis-server on ``port`` (AOF everysec, as deployed) and wait for PING."""
        data = self.directory / str(port)
        data.mkdir(parents=True, exist_ok=True)
        command = [
            _binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", *extra,
        ]  # fmt: skip
        self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._servers[port] = self.processes[-1]
        wait_until(lambda: _answers(port), what=f"redis-server on port {port}")

    def kill_server(self, port: int) -> None:
        """SIGKILL the redis-server on ``port``, as a crashed machine would stop it."""
        process = self._servers.pop(port)
        process.kill()
        process.wait(timeout=10)

    def start(self, *, replicas: int) -> None:
        """Start the master, ``replicas`` replicas of it, and a sentinel that knows all of them."""
        self.start_server(self.master_port)
        for _ in range(replicas):
            port = free_port()
            self.replica_ports.append(port)
            self.start_server(port, "--replicaof", "127.0.0.1", str(self.master_port))
        for port in self.sentinel_ports:
            # Each sentinel rewrites its configuration file, so each has its own.
            config = self.directory / f"sentinel-{port}.conf"
            config.write_text(
                f"port {port}\n"
                "bind 127.0.0.1\n"
                f"dir {self.directory}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} {self.quorum}\n"
                f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}\n"
                f"sentinel failover-timeout {SERVICE} {self.failover_timeout_ms}\n"
            )
            self.processes.append(
                subprocess.Popen(
                    [_binary(), str(config), "--sentinel"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in self.sentinel_ports:
            wait_until(functools.partial(_answers, port), what=f"the sentinel on port {port}")
        if replicas:
            wait_until(self._replicas_known, what="the sentinel to discover the replicas", timeout=30)
        if len(self.sentinel_ports) > 1:
            wait_until(self._sentinels_known, what="the sentinels to discover each other", timeout=30)

    def _replicas_known(self) -> bool:
        known = self.sentinel().sentinel_slaves(SERVICE)
        linked = {int(entry["port"]) for entry in known if entry.get("master-link-status") == "ok"}
        return linked >= set(self.replica_ports)

    def _sentinels_known(self) -> bool:
        others = len(self.sentinel_ports) - 1
        known = [
            Redis(port=port, socket_timeout=5).sentinel_sentinels(SERVICE) for port in self.sentinel_ports
        ]
        return all(isinstance(entries, list) and len(entries) >= others for entries in known)

    def stop(self) -> None:
        """Stop every process this set-up started (the sentinel first)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()


@contextlib.contextmanager
def running_sentinel_setup(
    directory: Path,
    *,
    replicas: int = 0,
    sentinels: int = 1,
    down_after_ms: int = 1000,
    failover_timeout_ms: int = 10000,
) -> Iterator[SentinelSetUp]:
    """A started :class:`SentinelSetUp`, every process stopped afterwards."""
    setup = SentinelSetUp(
        directory, sentinels=sentinels, down_after_ms=down_after_ms, failover_timeout_ms=failover_timeout_ms
    )
    try:
        setup.start(replicas=replicas)
        yield setup
    finally:
        setup.stop()
