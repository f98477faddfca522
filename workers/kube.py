"""Talking to the Kubernetes API as raw JSON, and turning its errors into job errors people can read.

Jobs read and write plain dicts (``_preload_content=False``): the rules they apply (kubectl's drain
filters, rollout status, revision choice) are pure functions on the API's own JSON, and no model
validation stands between a worker and an unusual answer. Safe reads are retried with a short
backoff on throttling, server errors and dropped connections; writes are not (callers decide),
except a call the API server refused while restarting, made again once it is ready.
The official client raises ``ApiException`` with the server's Status body; we keep its message, and
name a missing target with the sentence the caller gives. Every failed call but a 404 (an answer:
the object is not there) is reported to :func:`workers.observing.current` for the error metrics.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kubernetes.client.exceptions import ApiException
from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_chain,
    wait_fixed,
    wait_incrementing,
)
from urllib3.exceptions import HTTPError

from shared.messages import jobs as messages
from shared.messages import operations as wording
from workers import api_restart, observing
from workers.errors import Conflict, JobError, NotFound

REQUEST_TIMEOUT = (5.0, 30.0)
"""Connect and read timeouts of every call, so a hung API server cannot hang a job."""

READ_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
"""Backoff between attempts of a safe read that failed transiently."""

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


def status_body(error: ApiException) -> dict[str, Any]:
    """The Status JSON the API server sent with an error, or ``{}``."""
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def status_message(error: ApiException) -> str:
    """The API server's own message from a Status body, or the HTTP reason."""
    return str(status_body(error).get("message") or error.reason or f"HTTP {error.status}")


def translate(error: ApiException | HTTPError, *, missing: str) -> JobError:
    """The job error people read for an API failure."""
    if isinstance(error, HTTPError):
        return JobError(wording.api_timeout(type(error).__name__))
    detail = status_message(error)
    if error.status == 404:
        return NotFound(missing)
    if error.status == 403:
        return JobError(wording.forbidden(detail))
    if error.status == 409:
        return Conflict(wording.conflict(detail))
    if error.status == 422:
        return JobError(wording.invalid(detail))
    if error.status == 429:
        return JobError(wording.throttled(detail))
    if error.status is not None and error.status >= 500:
        return JobError(wording.server_error(error.status, detail))
    return JobError(messages.cluster_unreachable(f"{error.status}: {detail}"))


@contextlib.contextmanager
def api_errors(*, missing: str) -> Iterator[None]:
    """Translate client errors raised in the block: 404 → NotFound(``missing``), others → JobError."""
    try:
        yield
    except (ApiException, HTTPError) as error:
        raise translate(error, missing=missing) from error


def is_transient(error: Exception) -> bool:
    """Worth retrying a safe read: throttled, server trouble, or a dropped/slow connection."""
    if isinstance(error, HTTPError):
        return True
    return isinstance(error, ApiException) and error.status in TRANSIENT_STATUSES


def call_json(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One API call returning the response body as JSON (raises the client's errors untranslated).

    A call refused by an API server that is restarting (its connection refused, or a 403 before its
    RBAC caches are loaded) is made once more when the server is ready (:mod:`workers.api_restart`).
    """
    try:
        return _call_json(call, *args, **kwargs)
    except (ApiException, HTTPError) as error:
        if not api_restart.came_back(error):
            raise
    return _call_json(call, *args, **kwargs)


def _call_json(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        response = call(*args, _preload_content=False, _request_timeout=REQUEST_TIMEOUT, **kwargs)
    except ApiException as error:
        if error.status != 404:
            observing.current().api_error(status=str(error.status or "unknown"))
        raise
    except HTTPError:
        observing.current().api_error(status="connection")
        raise
    data = response.data
    return json.loads(data) if data else {}


def read(call: Callable[..., Any], *args: Any, missing: str, **kwargs: Any) -> Any:
    """A safe read as JSON, retried with a short backoff on transient failures, then translated."""
    retrying = Retrying(
        retry=retry_if_exception(lambda error: isinstance(error, Exception) and is_transient(error)),
        wait=wait_chain(*(wait_fixed(delay) for delay in READ_RETRY_DELAYS)),
        stop=stop_after_attempt(len(READ_RETRY_DELAYS) + 1),
        reraise=True,
    )
    try:
        return retrying(call_json, call, *args, **kwargs)
    except (ApiException, HTTPError) as error:
        raise translate(error, missing=missing) from error


def write(call: Callable[..., Any], *args: Any, missing: str, **kwargs: Any) -> Any:
    """A write as JSON; errors translated, never retried here."""
    with api_errors(missing=missing):
        return call_json(call, *args, **kwargs)


CONFLICT_ATTEMPTS = 5
"""How many times a read-modify-write step is re-run after a 409 Conflict."""


def retry_on_conflict(step: Callable[[], T]) -> T:
    """Run ``step`` (which re-reads what it changes), again after each 409, a few times."""
    retrying = Retrying(
        retry=retry_if_exception_type(Conflict),
        wait=wait_incrementing(start=0.1, increment=0.1),
        stop=stop_after_attempt(CONFLICT_ATTEMPTS),
        reraise=True,
    )
    return retrying(step)


def list_all(call: Callable[..., Any], *args: Any, missing: str, **kwargs: Any) -> tuple[list[Any], str]:
    """Page through a list call (500 per page, following ``continue``); items and the list's resourceVersion."""
    items: list[Any] = []
    token: str | None = None
    version = ""
    while True:
        page = read(call, *args, missing=missing, limit=500, _continue=token, **kwargs)
        items.extend(page.get("items") or [])
        meta = page.get("metadata") or {}
        version = version or str(meta.get("resourceVersion") or "")
        token = meta.get("continue") or None
        if not token:
            return items, version
