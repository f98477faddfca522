"""Who asked kubesim for what: every request as the real API server's authorizer would see it.

The API server turns each request into a ``RequestInfo`` (``k8s.io/apiserver/pkg/endpoints/request``)
before RBAC decides on it: a verb (``get``, ``list``, ``watch``, ``create``, ``update``, ``patch``,
``delete``, ``deletecollection``), an API group, a resource, a subresource, a namespace and a name;
or, for paths outside ``/api`` and ``/apis``, a non-resource request with the lower-cased HTTP
method as its verb. :func:`request_info` computes the same thing from a method, a path and a query,
and :class:`AuditLog` keeps one :class:`RequestInfo` per request served, so tests can hold a
client's actual requests against RBAC rules (least privilege, proven rather than claimed).

kubesim's own ``/kubesim/...`` admin routes are not part of the Kubernetes API and are not recorded.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

API_PREFIXES = frozenset({"api", "apis"})
GROUPLESS_API_PREFIXES = frozenset({"api"})
SPECIAL_VERBS = frozenset({"proxy", "watch"})
"""Old-style verbs that come first in the path (``/api/v1/watch/pods``)."""
SPECIAL_VERBS_NO_SUBRESOURCES = frozenset({"proxy"})
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
"""What may follow ``/namespaces/<name>/`` and still be about the namespace itself."""

_VERB_OF_METHOD = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
"""What Go's ``strconv.ParseBool`` reads as true (the ``watch`` query parameter)."""

ADMIN_PREFIX = "/kubesim/"
DEFAULT_CAPACITY = 100_000
"""Records kept; the oldest are dropped first, so a long-running simulator does not grow without end."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestInfo:
    """One request as the API server's authorizer sees it."""

    method: str
    path: str
    verb: str
    is_resource_request: bool = False
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""

    @property
    def resource_path(self) -> str:
        """``resource/subresource`` as RBAC rules name it (``pods/eviction``), or the resource alone."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def _exact_name(field_selector: str) -> str:
    """The name a ``metadata.name=<name>`` field selector pins a list or watch to, or ``""``."""
    for term in field_selector.split(","):
        for operator in ("==", "="):
            field, found, value = term.partition(operator)
            if found and field.strip() == "metadata.name":
                return value.strip()
    return ""


def _is_path_segment_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "%" not in name


def request_info(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    """The ``RequestInfo`` the real API server computes for ``method path?query``."""
    method = method.upper()
    parts = [part for part in path.strip("/").split("/") if part]
    non_resource = RequestInfo(method=method, path=path, verb=method.lower())
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return non_resource
    prefix, rest = parts[0], parts[1:]
    group = ""
    if prefix not in GROUPLESS_API_PREFIXES:
        if len(rest) < 3:
            return non_resource
        group, rest = rest[0], rest[1:]
    version, rest = rest[0], rest[1:]
    if rest[0] in SPECIAL_VERBS:
        if len(rest) < 2:
            return non_resource
        verb, rest = rest[0], rest[1:]
    else:
        verb = _VERB_OF_METHOD.get(method, "")
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 and verb not in SPECIAL_VERBS_NO_SUBRESOURCES else ""
    if not name and verb == "get":
        verb = "watch" if query.get("watch", "") in _TRUE else "list"
        pinned = _exact_name(query.get("fieldSelector", ""))
        if _is_path_segment_name(pinned):
            name = pinned
    if not name and verb == "delete":
        verb = "deletecollection"
    return RequestInfo(
        method=method,
        path=path,
        verb=verb,
        is_resource_request=True,
        api_group=group,
        api_version=version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AuditLog:
    """The requests a simulator served, oldest first (bounded; thread-safe)."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self._records: collections.deque[RequestInfo] = collections.deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, info: RequestInfo) -> None:
        """Keep one request."""
        with self._lock:
            self._records.append(info)

    def records(self) -> list[RequestInfo]:
        """Every request kept, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every request kept so far."""
        with self._lock:
            self._records.clear()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware: record the request (whatever its outcome), then serve it."""
        if not request.path.startswith(ADMIN_PREFIX):
            self.record(request_info(request.method, request.path, request.query))
        return await handler(request)
