"""kubesim's admin hook for a new kube-apiserver: POST /kubesim/version changes what /version reports."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from kubesim.testing import running_simulator


def _call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_posting_a_git_version_changes_what_version_reports() -> None:
    """After POST {"gitVersion": "v1.32.0"}, GET /version says v1.32.0, minor "32"."""
    with running_simulator(controllers=False) as simulator:
        status, _ = _call(f"{simulator.url}/kubesim/version", {"gitVersion": "v1.32.0"})
        _, version = _call(f"{simulator.url}/version")

    assert status == 200
    assert (version["gitVersion"], version["minor"]) == ("v1.32.0", "32")


@pytest.mark.parametrize("body", [{"gitVersion": "1.32"}, {"gitVersion": 132}, {}])
def test_a_malformed_version_is_a_bad_request_and_changes_nothing(body: dict[str, Any]) -> None:
    """Anything but vX.Y.Z is answered with a 400 Status, and /version keeps its value."""
    with running_simulator(controllers=False) as simulator:
        status, answer = _call(f"{simulator.url}/kubesim/version", body)
        _, version = _call(f"{simulator.url}/version")

    assert (status, answer["reason"]) == (400, "BadRequest")
    assert version["gitVersion"] == "v1.31.4"
