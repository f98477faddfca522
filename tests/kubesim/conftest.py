"""Fixtures for kubesim's API tests: running simulators, a raw HTTP helper, kubectl and the Python client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubesim.server import Simulator
from kubesim.testing import Kubectl, running_simulator

FAST = 20.0
"""Simulated seconds per real second in tests that wait for controllers (grace periods, rollouts)."""


@dataclass(frozen=True)
class Reply:
    """One raw HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class Http:
    """Minimal raw HTTP access to a simulator, for asserting on the wire format itself."""

    def __init__(self, simulator: Simulator) -> None:
        self.url = simulator.url

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str | None = None,
        accept: str | None = None,
        raw: bytes | None = None,
        timeout: float = 10.0,
    ) -> Reply:
        """Send one request; HTTP errors are returned, not raised."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())


@pytest.fixture(name="empty_sim")
def fixture_empty_sim() -> Iterator[Simulator]:
    """A simulator with only the system namespaces and no controllers: the API server alone."""
    with running_simulator(scenario=None, controllers=False) as simulator:
        yield simulator


@pytest.fixture(name="http")
def fixture_http(empty_sim: Simulator) -> Http:
    """Raw HTTP against the controller-less simulator."""
    return Http(empty_sim)


@pytest.fixture(name="sim")
def fixture_sim() -> Iterator[Simulator]:
    """The default scenario with running controllers, fast clock, settled."""
    with running_simulator(speed=FAST) as simulator:
        simulator.controllers.settle(timeout=10.0)
        yield simulator


@pytest.fixture(name="kubectl")
def fixture_kubectl(sim: Simulator, tmp_path: Path) -> Kubectl:
    """The real kubectl pointed at `sim`, with its own kubeconfig and discovery cache."""
    return Kubectl(sim, tmp_path)
