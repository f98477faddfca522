"""Following one object as ``kubectl rollout status`` does: list it by name, then watch from the
list's resourceVersion, and list again whenever the server says that version is gone.

A watch the server ends (its ``timeoutSeconds``, a dropped connection) is resumed from the last
version seen, so nothing is missed. When that version is no longer in the server's window (an etcd
compaction, or an API server restarted with a fresh watch cache) the answer is 410 Gone, as an
``ERROR`` event or as the response's status: the object is listed again and the watch starts over
from the new list, as client-go's reflector does. Connection failures and transient statuses while
the API server comes back are retried with a short backoff until the caller's deadline (and, for a
short while after one, a 401 or 403: a restarted server answers before its authorizer has caught
up); anything else is translated into the sentence the job reports (:func:`workers.kube.translate`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines
from urllib3.exceptions import HTTPError

from workers import observing
from workers.errors import NotFound
from workers.kube import call_json, is_transient, translate

WATCH_SECONDS = 5
"""The longest one watch request lasts (``timeoutSeconds``), so deadlines and cancels are seen often."""

RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0)
"""Backoff between attempts to resume a watch the API server did not answer; the last repeats."""

COMING_BACK_SECONDS = 30.0
"""After a dropped connection or a 5xx, how long a 401 or 403 is taken for a server still starting."""

GONE = 410


class _Expired(Exception):
    """The version a watch resumed from is gone: list again."""


class Follower:
    """The states of one object, the first from a list, the next from watch events, until a deadline.

    ``relists`` counts the lists after the first one (each a 410 Gone), for the job's result.
    """

    def __init__(self, list_call: Callable[..., Any], namespace: str, name: str, *, missing: str) -> None:
        self._list = list_call
        self._namespace = namespace
        self._name = name
        self._missing = missing
        self.relists = 0
        self._coming_back_until = 0.0

    def states(self, *, deadline: float, stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
        """The object as listed, then after each change, until ``deadline`` (``time.monotonic``) or
        until ``stop()`` (asked between two watch requests) says so."""
        while True:
            obj, version = self._listed(deadline=deadline)
            yield obj
            try:
                yield from self._watched(version, deadline=deadline, stop=stop)
                return
            except _Expired:
                self.relists += 1
                if time.monotonic() >= deadline or stop():
                    return

    def _listed(self, *, deadline: float) -> tuple[dict[str, Any], str]:
        failures = 0
        while True:
            try:
                page = call_json(self._list, self._namespace, field_selector=f"metadata.name={self._name}")
                break
            except (ApiException, HTTPError) as error:
                if not self._retriable(error) or time.monotonic() >= deadline:
                    raise translate(error, missing=self._missing) from error
                self._back_off(failures, deadline=deadline)
                failures += 1
        items = page.get("items") or []
        if not items:
            raise NotFound(self._missing)
        found: dict[str, Any] = items[0]
        return found, str((page.get("metadata") or {}).get("resourceVersion") or "")

    def _watched(
        self, version: str, *, deadline: float, stop: Callable[[], bool]
    ) -> Iterator[dict[str, Any]]:
        """Watch from ``version``, resuming after each ended request, until the deadline or a stop."""
        failures = 0
        while (remaining := deadline - time.monotonic()) > 0 and not stop():
            try:
                for kind, obj in self._events(version, seconds=min(WATCH_SECONDS, math.ceil(remaining))):
                    failures = 0
                    version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                    if kind == "DELETED":
                        raise NotFound(self._missing)
                    if kind in {"ADDED", "MODIFIED"}:
                        yield obj
            except (ApiException, HTTPError) as error:
                if isinstance(error, ApiException) and error.status == GONE:
                    raise _Expired from error
                if not self._retriable(error):
                    raise translate(error, missing=self._missing) from error
                self._back_off(failures, deadline=deadline)
                failures += 1

    def _retriable(self, error: ApiException | HTTPError) -> bool:
        """A dropped connection, throttling or server trouble: the API server may be coming back, and
        for :data:`COMING_BACK_SECONDS` after one a 401 or 403 is retried too (a restarted server
        answers before its authorizer's caches are filled); any other refusal is final."""
        now = time.monotonic()
        if is_transient(error):
            self._coming_back_until = now + COMING_BACK_SECONDS
            return True
        refused = isinstance(error, ApiException) and error.status in {401, 403}
        return refused and now < self._coming_back_until

    @staticmethod
    def _back_off(failures: int, *, deadline: float) -> None:
        delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))

    def _events(self, version: str, *, seconds: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """One watch request's events; an ``ERROR`` event with 410 raises :class:`_Expired`."""
        try:
            response = self._list(
                self._namespace,
                watch=True,
                field_selector=f"metadata.name={self._name}",
                resource_version=version,
                timeout_seconds=seconds,
                _preload_content=False,
                _request_timeout=(5.0, seconds + 10.0),
            )
        except ApiException as error:
            observing.current().api_error(status=str(error.status or "unknown"))
            raise
        except HTTPError:
            observing.current().api_error(status="connection")
            raise
        try:
            for line in iter_resp_lines(response):
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = str(event.get("type") or ""), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == GONE:
                        raise _Expired
                    refused = ApiException(status=obj.get("code"), reason=str(obj.get("reason") or ""))
                    refused.body = json.dumps(obj)
                    raise refused
                yield kind, obj
        finally:
            response.release_conn()
