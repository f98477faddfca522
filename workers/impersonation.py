"""Acting as the person who asked: every API call of a job carries the ``Impersonate-*`` headers.

When a cluster runs jobs as the requester (the policy's ``run_as: requester``), the job names a
Kubernetes identity; while it runs, each request the official client sends carries
``Impersonate-User``, one ``Impersonate-Group`` line per group and ``Impersonate-Extra-KEY`` lines
(the job id, the approval id and the approvers), as ``kubectl --as`` does. The API server then
authorizes the request as that person and its audit log names them, with the worker's ServiceAccount
as the impersonator. The worker may only impersonate the users and groups its RBAC names.

Several groups must be several header lines (the server reads each line as one group; a joined line
would be one group named ``a,b``), so the headers go to urllib3 as an ``HTTPHeaderDict``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from kubernetes import client

# types-urllib3 (pulled in by selenium's stubs) describes urllib3 1.x, which exported it elsewhere.
from urllib3 import HTTPHeaderDict  # type: ignore[attr-defined]

from shared.identities import KubeIdentity

_lock = threading.Lock()
_current: list[KubeIdentity] = []
"""The identity the running job acts as (at most one: a work-horse runs one job)."""


def current() -> KubeIdentity | None:
    """Who this process's API calls act as now; None for the worker's own ServiceAccount."""
    with _lock:
        return _current[-1] if _current else None


@contextmanager
def acting_as(identity: KubeIdentity | None) -> Iterator[None]:
    """Send every API call made inside as ``identity`` (None: as the worker itself)."""
    if identity is None:
        yield
        return
    with _lock:
        _current.append(identity)
    try:
        yield
    finally:
        with _lock:
            _current.remove(identity)


def headers_for(identity: KubeIdentity) -> list[tuple[str, str]]:
    """The header lines that make a request act as ``identity``, in the order they are sent."""
    lines = [("Impersonate-User", identity.user)]
    lines += [("Impersonate-Group", group) for group in identity.groups]
    for key, values in sorted(identity.extra.items()):
        # Header names cannot hold '/': the key is percent-encoded, as client-go and the server agree.
        lines += [(f"Impersonate-Extra-{quote(key, safe='')}", value) for value in values]
    return lines


class ImpersonatingApiClient(client.ApiClient):
    """The official ``ApiClient``, adding the impersonation lines of :func:`current` to each call."""

    def call_api(
        self,
        method: str,
        url: str,
        header_params: dict[str, Any] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        identity = current()
        if identity is not None:
            headers = HTTPHeaderDict(header_params or {})
            for name, value in headers_for(identity):
                headers.add(name, value)
            header_params = headers
        return super().call_api(
            method,
            url,
            header_params=header_params,
            body=body,
            post_params=post_params,
            _request_timeout=_request_timeout,
        )
