"""The ``pods/log`` subresource: a container's log as the kubelet would stream it through the API server.

Lines come from the scenario when the pod (or the pod template it was made from) carries the annotation
``kubesim.io/logs``: a YAML list of lines (every container's) or a mapping of container name to lines,
written one second apart from the container's start. Otherwise the log is synthetic: a start line, then
one line every `SYNTHETIC_PERIOD` simulated seconds up to now. Query parameters as the API server takes
them: ``container``, ``tailLines``, ``timestamps``, ``sinceSeconds``, ``limitBytes`` and ``previous``
(there is never a previous container); ``follow`` answers what is there and ends.
"""

from __future__ import annotations

import time
from typing import Any

import yaml
from aiohttp import web

from kubesim import errors
from kubesim.store import Obj, Store
from kubesim.wire import Target, int_param

LOGS_ANNOTATION = "kubesim.io/logs"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
SYNTHETIC_PERIOD = 10.0
"""Simulated seconds between two synthetic lines."""
_TRUE = ("1", "true", "True")


def rfc3339_nano(at: float) -> str:
    """A kubelet log timestamp: RFC 3339 with nanoseconds, UTC."""
    whole = int(at)
    nanos = min(round((at - whole) * 1e9), 999_999_999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{nanos:09d}Z"


def scenario_lines(pod: Obj, container: str) -> list[str] | None:
    """The lines the scenario gave this container, or None when it gave none."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(LOGS_ANNOTATION)
    if not text:
        return None
    given: Any = yaml.safe_load(text)
    if isinstance(given, dict):
        given = given.get(container)
    if not isinstance(given, list):
        return None
    return [str(line) for line in given]


def _container(pod: Obj, wanted: str | None) -> Obj:
    """The container the request names, or the pod's only one; the API server's 400s otherwise."""
    name = pod["metadata"]["name"]
    containers = [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
    every = [*containers, *((pod.get("spec") or {}).get("initContainers") or [])]
    if not wanted:
        if len(containers) == 1:
            return containers[0]
        names = " ".join(str(c.get("name")) for c in containers)
        raise errors.bad_request(
            f"a container name must be specified for pod {name}, choose one of: [{names}]"
        )
    for container in every:
        if isinstance(container, dict) and container.get("name") == wanted:
            found: Obj = container
            return found
    raise errors.bad_request(f"container {wanted} is not valid for pod {name}")


def _started_at(store: Store, pod: Obj, container: str) -> float:
    """When the container started; the kubelet's 400 while it has not."""
    name = pod["metadata"]["name"]
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") != container:
            continue
        state = status.get("state") or {}
        if "running" in state:
            return store.clock.parse(str(state["running"]["startedAt"]))
        if "terminated" in state:
            return store.clock.parse(str(state["terminated"].get("startedAt") or store.clock.timestamp()))
        reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
        raise errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
    raise errors.bad_request(
        f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
    )


def timed_lines(pod: Obj, container: Obj, *, started: float, now: float) -> list[tuple[float, str]]:
    """(time, text) of every line the container has written by `now`."""
    name = str(container.get("name"))
    given = scenario_lines(pod, name)
    if given is not None:
        return [(started + index, line) for index, line in enumerate(given) if started + index <= now]
    pod_name = pod["metadata"]["name"]
    lines = [(started, f"starting {name} ({container.get('image', '')}) in pod {pod_name}")]
    ticks = int(max(0.0, now - started) // SYNTHETIC_PERIOD)
    lines += [
        (started + n * SYNTHETIC_PERIOD, f'level=info msg="GET /healthz 200" container={name} request={n}')
        for n in range(max(1, ticks - 4999), ticks + 1)
    ]  # the last 5,000 lines at most, as a rotated log keeps
    return lines


def serve(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    """``GET pods/<name>/log``: the container's lines as text/plain."""
    if request.method != "GET":
        raise errors.method_not_allowed()
    query = request.query
    pod = store.peek("pods", target.namespace, target.name or "")
    container = _container(pod, query.get("container"))
    name = str(container.get("name"))
    if query.get("previous") in _TRUE:
        raise errors.bad_request(
            f'previous terminated container "{name}" in pod "{pod["metadata"]["name"]}" not found'
        )
    started = _started_at(store, pod, name)
    now = store.clock.now()
    lines = timed_lines(pod, container, started=started, now=now)
    since = int_param(query, "sinceSeconds")
    if since is not None and since > 0:
        lines = [(at, text) for at, text in lines if at >= now - since]
    tail = int_param(query, "tailLines")
    if tail is not None and tail >= 0:
        lines = lines[len(lines) - tail :] if tail else []
    stamped = query.get("timestamps") in _TRUE
    body = "".join(f"{rfc3339_nano(at)} {text}\n" if stamped else f"{text}\n" for at, text in lines).encode()
    limit = int_param(query, "limitBytes")
    if limit is not None and limit > 0:
        body = body[:limit]
    return web.Response(body=body, content_type="text/plain")
