"""What legitimately differs between two API servers' answers is normalised away; the rest is listed.

Legitimate: identities and clocks (uids, resourceVersions, timestamps, generated names, continue tokens,
managedFields' times), and the test beds' own marks (KWOK's annotations on nodes, the contents of labels
and annotations maps, which the suite compares only where a case names them). Compared: the status
code; for a Status its reason, code, details and causes (reason and field) and message; for an object
the set of field paths it has (a missing default shows as a path on one side only) and the values of
the paths a case names; for a watch, the event types in order and any error's code and reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tests.fidelity.wire import Answer

OPAQUE_MAPS = ("labels", "annotations", "matchLabels", "nodeSelector", "capacity", "allocatable", "data")
"""Maps whose keys are data, not schema: compared as one path each."""
VOLATILE = {
    "uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink", "continue",
    "deletionTimestamp", "lastTransitionTime", "lastUpdateTime", "lastHeartbeatTime", "lastProbeTime",
    "startTime", "startedAt", "finishedAt", "podIP", "podIPs", "hostIP", "hostIPs", "containerID",
    "imageID", "bootID", "machineID", "systemUUID",
}  # fmt: skip


def paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Every field path of a JSON value (list items as ``[]``), volatile fields left out."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in VOLATILE:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            if key in OPAQUE_MAPS and isinstance(item, Mapping):
                yield path
                continue
            yield path
            yield from paths(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from paths(item, f"{prefix}[]")


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (``status.conditions``), or None."""
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _is_status(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("kind") == "Status"


def _status_view(body: Mapping[str, Any]) -> dict[str, Any]:
    details = body.get("details") or {}
    causes = sorted((c.get("reason", "<no reason>"), c.get("field", "")) for c in details.get("causes") or [])
    return {
        "status": body.get("status"),
        "reason": body.get("reason"),
        "code": body.get("code"),
        "details": {k: details.get(k) for k in ("name", "group", "kind") if details.get(k)},
        "causes": causes,
        "message": body.get("message"),
    }


def differences(ours: Answer, real: Answer, *, values: Sequence[str] = ()) -> list[str]:
    """How kubesim's answer (``ours``) differs from the real server's, one line per difference."""
    found: list[str] = []
    if ours.status != real.status:
        found.append(f"status code {ours.status}, real {real.status}")
    if _is_status(ours.body) or _is_status(real.body):
        if not (_is_status(ours.body) and _is_status(real.body)):
            return [*found, "a Status on one side only"]
        mine, theirs = _status_view(ours.body), _status_view(real.body)
        found += [
            f"Status {key}: {mine[key]!r}, real {theirs[key]!r}" for key in mine if mine[key] != theirs[key]
        ]
        return found
    if isinstance(ours.body, list) or isinstance(real.body, list):
        if ours.body != real.body:
            found.append(f"events {ours.body}, real {real.body}")
        return found
    if not isinstance(ours.body, Mapping) or not isinstance(real.body, Mapping):
        if type(ours.body) is not type(real.body):
            found.append(f"body {type(ours.body).__name__}, real {type(real.body).__name__}")
        return found
    mine_paths, real_paths = set(paths(ours.body)), set(paths(real.body))
    found += [f"field missing: {path}" for path in sorted(real_paths - mine_paths)]
    found += [f"field not on the real server: {path}" for path in sorted(mine_paths - real_paths)]
    for path in values:
        if lookup(ours.body, path) != lookup(real.body, path):
            found.append(f"{path} = {lookup(ours.body, path)!r}, real {lookup(real.body, path)!r}")
    return found
