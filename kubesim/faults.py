"""Fault injection: HTTP-level failures and cluster misbehaviour that tests and demos switch on at will.

The HTTP middleware consults `Faults.take_request_fault`; controllers read the sets (not-ready nodes, stuck
deployments, broken images). `POST /kubesim/faults` sets them from outside the process (see `from_json`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

HANG = "hang"
"""The `action` of a fault that holds the request open until the client gives up (or `hang_seconds`)."""

LOST_ANSWER = "lost-answer"
"""The `action` of a fault that serves the request (a write takes effect) and then drops the connection
without answering, as a server killed mid-request does."""


@dataclass
class RequestFault:
    """One HTTP-level fault: which requests it hits and what they get instead of a normal answer.

    `action` is an HTTP status (429, 500, 503, 504...), `HANG` or `LOST_ANSWER`. `times` counts how many more requests it
    hits; None means forever. `method` and `path` are regular expressions (searched, case-insensitive for
    the method); `resource` is a plural resource name that must appear as a path segment.
    """

    action: int | str = 500
    method: str | None = None
    path: str | None = None
    resource: str | None = None
    times: int | None = None
    retry_after: int | None = None
    message: str | None = None
    hang_seconds: float = 300.0

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to a request."""
        if self.method is not None and not re.fullmatch(self.method, method, flags=re.IGNORECASE):
            return False
        if self.path is not None and not re.search(self.path, path):
            return False
        return self.resource is None or self.resource in path.split("/")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestFault:
        """Build from the admin endpoint's JSON (same field names; `action` may be "hang" or "lost-answer")."""
        action = data.get("action", data.get("status", 500))
        return cls(
            action=action if action in (HANG, LOST_ANSWER) else int(action),
            method=data.get("method"),
            path=data.get("path"),
            resource=data.get("resource"),
            times=None if data.get("times") is None else int(data["times"]),
            retry_after=None if data.get("retry_after") is None else int(data["retry_after"]),
            message=data.get("message"),
            hang_seconds=float(data.get("hang_seconds", 300.0)),
        )


@dataclass
class Faults:
    """Everything currently going wrong in the simulated cluster."""

    requests: list[RequestFault] = field(default_factory=list)
    latency: float = 0.0
    not_ready_nodes: set[str] = field(default_factory=set)
    stuck_deployments: set[str] = field(default_factory=set)
    broken_images: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def clear(self) -> None:
        """Back to a healthy cluster."""
        with self._lock:
            self.requests = []
        self.latency = 0.0
        self.not_ready_nodes = set()
        self.stuck_deployments = set()
        self.broken_images = set()

    def add_request_fault(self, fault: RequestFault) -> None:
        """Append an HTTP-level fault."""
        with self._lock:
            self.requests = [*self.requests, fault]

    def take_request_fault(self, method: str, path: str) -> RequestFault | None:
        """The first fault matching a request, using up one of its `times`; None for a healthy request."""
        with self._lock:
            for fault in self.requests:
                if not fault.matches(method, path):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.requests = [f for f in self.requests if f is not fault]
                return fault
        return None

    def is_broken_image(self, image: str) -> bool:
        """Pods running this image never become Ready."""
        return image in self.broken_images or ":broken" in image

    def update_from_json(self, data: dict[str, Any]) -> None:
        """Apply the admin endpoint's JSON: `clear` first if asked, then set or extend each field given."""
        if data.get("clear"):
            self.clear()
        for raw in data.get("requests", []):
            self.add_request_fault(RequestFault.from_json(raw))
        if "latency" in data:
            self.latency = float(data["latency"])
        for name in ("not_ready_nodes", "stuck_deployments", "broken_images"):
            if name in data:
                setattr(self, name, set(data[name]))

    def to_json(self) -> dict[str, Any]:
        """The current faults as JSON (the admin endpoint's GET)."""
        return {
            "requests": [
                {
                    "action": f.action,
                    "method": f.method,
                    "path": f.path,
                    "resource": f.resource,
                    "times": f.times,
                    "retry_after": f.retry_after,
                    "message": f.message,
                    "hang_seconds": f.hang_seconds,
                }
                for f in self.requests
            ],
            "latency": self.latency,
            "not_ready_nodes": sorted(self.not_ready_nodes),
            "stuck_deployments": sorted(self.stuck_deployments),
            "broken_images": sorted(self.broken_images),
        }
