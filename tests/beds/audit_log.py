"""The real kube-apiserver's audit log, read back as the requests its authorizer judged."""

from __future__ import annotations

import json
from pathlib import Path

from kubesim.audit import RequestInfo

WORKER_USER = "system:serviceaccount:chatops:chatops-worker"


def requests_by(audit_log: Path, user: str) -> list[tuple[RequestInfo, int]]:
    """Each request ``user`` made (one per audit event at ResponseComplete), with its response code."""
    requests = []
    for line in audit_log.read_text().splitlines():
        event = json.loads(line)
        if event.get("stage") != "ResponseComplete" or event["user"].get("username") != user:
            continue
        ref = event.get("objectRef")
        path = event["requestURI"].split("?", 1)[0]
        info = RequestInfo(
            method="",
            path=path,
            verb=event["verb"],
            is_resource_request=ref is not None,
            api_group=(ref or {}).get("apiGroup", ""),
            api_version=(ref or {}).get("apiVersion", ""),
            namespace=(ref or {}).get("namespace", ""),
            resource=(ref or {}).get("resource", ""),
            subresource=(ref or {}).get("subresource", ""),
            name=(ref or {}).get("name", ""),
        )
        requests.append((info, int(event.get("responseStatus", {}).get("code", 0))))
    return requests


def impersonated(audit_log: Path, *, impersonator: str) -> list[dict[str, object]]:
    """The ``impersonatedUser`` of each completed request ``impersonator`` made acting as someone."""
    found = []
    for line in audit_log.read_text().splitlines():
        event = json.loads(line)
        if event.get("stage") != "ResponseComplete" or event["user"].get("username") != impersonator:
            continue
        if "impersonatedUser" in event:
            found.append({**event["impersonatedUser"], "code": event.get("responseStatus", {}).get("code")})
    return found
