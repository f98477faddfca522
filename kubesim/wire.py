"""Requests and responses as kube-apiserver's wire has them: what a resource URL names, request bodies
in the media types clients send, compact JSON answers ending in a newline, Status bodies for errors, and
the shape a view's group/version shows a stored object in (events.k8s.io/v1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web
from multidict import CIMultiDict

from kubesim import errors, events, protobuf
from kubesim.errors import ApiError
from kubesim.patching import APPLY, PATCH_TYPES
from kubesim.records import Obj, encode
from kubesim.resources import VIEWS, Custom, ResourceType, lookup

TRUE = ("1", "true", "True")
"""The query-parameter values kube-apiserver reads as true."""


def not_found_path() -> ApiError:
    """The 404 for a path no resource lives at."""
    return ApiError(404, "NotFound", "the server could not find the requested resource")


@dataclass(frozen=True)
class Target:
    """What a resource URL names: a type, maybe a namespace, maybe an object, maybe a subresource."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_target(group_version: str, rest: list[str], custom: Custom | None = None) -> Target:
    """Resolve the path segments after `/api/v1` or `/apis/<g>/<v>`; 404 when nothing lives there."""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespaced = lookup(group_version, rest[2], custom)
        if namespaced is not None and namespaced.namespaced and len(rest) <= 5:
            return Target(
                namespaced, rest[1], rest[3] if len(rest) > 3 else None, rest[4] if len(rest) > 4 else None
            )
    rt = lookup(group_version, rest[0], custom)
    if rt is None or len(rest) > 3:
        raise not_found_path()
    if rt.namespaced and len(rest) > 1:
        raise not_found_path()
    target = Target(rt, None, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None)
    if target.subresource is not None and target.subresource not in rt.subresources:
        raise not_found_path()
    return target


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | CIMultiDict[str] | None = None
) -> web.Response:
    """A compact JSON response ending in a newline, as Go's JSON encoder writes it."""
    return web.Response(
        body=encode(body) + b"\n", status=status, content_type="application/json", headers=headers
    )


def status_response(error: ApiError) -> web.Response:
    """The Status body of an ApiError, with a Retry-After header when it asks for a positive delay."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return json_response(error.to_status(), status=error.code, headers=headers)


async def read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    media = (request.headers.get("Content-Type") or "application/json").split(";", 1)[0].strip()
    if media == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(raw)
    if "protobuf" in media or "cbor" in media:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: application/json, "
            f"application/yaml, {', '.join(PATCH_TYPES)}",
        )
    try:
        if media == APPLY or "yaml" in media:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as e:
        raise errors.bad_request(f"the request body could not be decoded: {e}") from e


def object_body(body: Any) -> Obj:
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    return body


def int_param(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as e:
        raise errors.bad_request(f"invalid {name}: {value!r}") from e


VIEWS_GROUPS = frozenset(view.group for view in VIEWS.values())


def shown(rt: ResourceType, obj: Obj) -> Obj:
    """An object as the group/version of the request shows it (events.k8s.io/v1 converts Events)."""
    return events.to_events_v1(obj) if rt.group in VIEWS_GROUPS else obj


def stored(rt: ResourceType, body: Obj) -> Obj:
    """A request body as the store keeps it."""
    return events.from_events_v1(body) if rt.group in VIEWS_GROUPS else body


def wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")
