"""The write side of the REST API: create, replace, patch (server-side apply included), delete and
delete-collection, with kind checks, field validation warnings and dry runs."""

from __future__ import annotations

import contextlib
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from kubesim import errors, ssa
from kubesim.errors import ApiError
from kubesim.patching import APPLY
from kubesim.records import Obj
from kubesim.resources import ResourceType
from kubesim.store import Store
from kubesim.validation import field, schema
from kubesim.wire import (
    TRUE,
    Target,
    int_param,
    json_response,
    not_found_path,
    object_body,
    read_body,
    shown,
    stored,
)


def is_dry_run(request: web.Request, options: Obj | None = None) -> bool:
    return bool(request.query.getall("dryRun", [])) or bool((options or {}).get("dryRun"))


def check_kind(rt: ResourceType, body: Obj) -> None:
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if kind and kind != rt.kind:
        raise errors.bad_request(f"the kind of the object ({kind}) does not match the request ({rt.kind})")
    if api_version and api_version != rt.api_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({rt.api_version})"
        )


def field_warnings(request: web.Request, rt: ResourceType, body: Obj) -> CIMultiDict[str]:
    """The Warning headers of a body's unknown fields (or the 400 of fieldValidation=Strict)."""
    mode = request.query.get("fieldValidation")
    warnings = schema.field_validation(rt.kind, rt.version, rt.plural, body, mode)
    return CIMultiDict(("Warning", warning) for warning in warnings)


async def create(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    body = object_body(await read_body(request))
    check_kind(target.rt, body)
    body = stored(target.rt, body)
    warnings = field_warnings(request, target.rt, body)
    namespace = target.namespace
    if target.rt.namespaced and namespace is None:
        namespace = (body.get("metadata") or {}).get("namespace")
        if not namespace:
            raise not_found_path()
    created = store.create(target.rt.plural, body, namespace=namespace, dry_run=is_dry_run(request))
    return json_response(shown(target.rt, created), status=201, headers=warnings)


async def replace(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    body = object_body(await read_body(request))
    check_kind(target.rt, body)
    body = stored(target.rt, body)
    warnings = field_warnings(request, target.rt, body)
    meta = body.setdefault("metadata", {})
    if meta.get("name") and meta["name"] != target.name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({target.name})"
        )
    meta["name"] = target.name
    if target.rt.namespaced:
        meta["namespace"] = target.namespace
    replaced = store.replace(
        target.rt.plural, body, subresource=target.subresource, dry_run=is_dry_run(request)
    )
    return json_response(shown(target.rt, replaced), headers=warnings)


async def patch(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    body = await read_body(request)
    content_type = request.headers.get("Content-Type", "application/merge-patch+json")
    rt, name = target.rt, target.name or ""
    dry_run = is_dry_run(request)
    if content_type.startswith(APPLY) and not request.query.get("fieldManager"):
        cause = field.required("fieldManager", "is required for apply patch")
        raise errors.invalid("PatchOptions", "", [cause], group="meta.k8s.io")
    if content_type.startswith(APPLY) and target.subresource is None:
        return apply(request, target, store, object_body(body), dry_run=dry_run)
    patched = store.patch(
        rt.plural,
        target.namespace,
        name,
        body,
        content_type=content_type,
        subresource=target.subresource,
        dry_run=dry_run,
    )
    return json_response(shown(rt, patched))


def apply(request: web.Request, target: Target, store: Store, body: Obj, *, dry_run: bool) -> web.Response:
    """Server-side apply (kubesim.ssa): create, or update what the manager's configuration sets."""
    rt, name = target.rt, target.name or ""
    current = store.find(rt.plural, target.namespace, name)
    result = ssa.apply(
        current,
        body,
        manager=request.query["fieldManager"],
        force=request.query.get("force") in TRUE,
        api_version=rt.api_version,
        stamp=store.clock.timestamp(),
    )
    if current is None:
        created = store.create(rt.plural, result, namespace=target.namespace, dry_run=dry_run)
        return json_response(shown(rt, created), status=201)
    result["metadata"].update(resourceVersion=current["metadata"]["resourceVersion"], name=name)
    if rt.namespaced:
        result["metadata"]["namespace"] = target.namespace
    return json_response(shown(rt, store.replace(rt.plural, result, dry_run=dry_run)))


def delete_options(request: web.Request, body: Any) -> Obj:
    options: Obj = dict(body) if isinstance(body, dict) else {}
    grace = int_param(request.query, "gracePeriodSeconds")
    if grace is not None:
        options["gracePeriodSeconds"] = grace
    if request.query.get("propagationPolicy"):
        options["propagationPolicy"] = request.query["propagationPolicy"]
    if request.query.get("orphanDependents") in TRUE or options.get("orphanDependents"):
        options.setdefault("propagationPolicy", "Orphan")
    return options


async def delete(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    options = delete_options(request, await read_body(request))
    deleted = store.delete(
        target.rt.plural,
        target.namespace,
        target.name or "",
        grace_period_seconds=options.get("gracePeriodSeconds"),
        preconditions=options.get("preconditions"),
        propagation_policy=options.get("propagationPolicy"),
        dry_run=is_dry_run(request, options),
    )
    return json_response(shown(target.rt, deleted))


async def delete_collection(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    options = delete_options(request, await read_body(request))
    rt = target.rt
    items, _ = store.list(
        rt.plural,
        target.namespace,
        label_selector=request.query.get("labelSelector"),
        field_selector=request.query.get("fieldSelector"),
        copy=False,
    )
    deleted = []
    for obj in items:
        meta = obj["metadata"]
        with contextlib.suppress(ApiError):
            deleted.append(
                store.delete(
                    rt.plural,
                    meta.get("namespace"),
                    meta["name"],
                    grace_period_seconds=options.get("gracePeriodSeconds"),
                    propagation_policy=options.get("propagationPolicy"),
                    dry_run=is_dry_run(request, options),
                )
            )
    metadata = {"resourceVersion": str(store.resource_version)}
    return json_response(
        {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": metadata, "items": deleted}
    )
