"""Riding out a restart of kube-apiserver: a refused connection, then a few seconds of 403s.

While kube-apiserver is down its port refuses connections (nothing was sent, so trying again is safe
even for a write). Once it listens again it serves requests before its authorizer has loaded the
cluster's RBAC objects, and for a moment answers the worker's own, legitimate requests with 403
Forbidden; the drill that restarts it (``tests/beds/test_apiserver_restart.py``) saw a drain fail on
``cannot patch resource "nodes"`` with the message "the worker's account lacks the right".

So a call that meets either is tried once more when, and only when, the server was not ready and
became ready within :data:`READY_WAIT_SECONDS`: its ``/readyz`` (open to every user) answers 200
only once the RBAC caches are synced. A 403 from a ready server is the verdict it seems and raises
at once; a refused connection to a server that never comes back raises after the wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError

from workers import cluster

READY_WAIT_SECONDS = 60.0
"""How long a call waits for a restarting API server before it gives up with its own error."""

POLL_SECONDS = 0.5
"""Pause between two looks at ``/readyz``."""

READY_TIMEOUT = (2.0, 2.0)
"""Connect and read timeouts of one look at ``/readyz``."""


def never_sent(error: HTTPError) -> bool:
    """True when the connection was refused before the request went out (safe to send again)."""
    reason = error.reason if isinstance(error, MaxRetryError) else error
    return isinstance(reason, NewConnectionError | ConnectionRefusedError)


def worth_waiting(error: ApiException | HTTPError) -> bool:
    """A failure a restarting API server gives: a refused connection, or a 403 (checked against ``/readyz``)."""
    if isinstance(error, HTTPError):
        return never_sent(error)
    return bool(error.status == 403)


def came_back(
    error: ApiException | HTTPError,
    *,
    readiness: Callable[[], int | None] | None = None,
    seconds: float = READY_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True when the server that gave ``error`` was restarting and is ready now (try the call again);
    False when the error stands: a 403 from a server ready (or that cannot be asked), or a server still
    not ready after ``seconds``."""
    if not worth_waiting(error):
        return False
    status = readiness or readyz_status
    if isinstance(error, ApiException) and status() in (200, None):
        return False
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if status() == 200:
            return True
        sleep(POLL_SECONDS)
    return False


def readyz_status() -> int | None:
    """The status the configured API server answers ``GET /readyz`` with; None if it cannot be asked
    (no connection, or no cluster configured)."""
    try:
        api = cluster.api_client()
        method, url, headers, _, _ = api.param_serialize(
            method="GET", resource_path="/readyz", auth_settings=["BearerToken"]
        )
        response = api.call_api(method, url, header_params=headers, _request_timeout=READY_TIMEOUT)
        response.read()
    except Exception:  # any failure to ask means "cannot tell", never a crash of the job
        return None
    return int(getattr(response, "status", 0)) or None
