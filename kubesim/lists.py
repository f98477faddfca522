"""The read side of the REST API: lists (paged, selected, exact at a resourceVersion), watches, and the
Table rendering kubectl asks for. Lists are served from the store's cached encodings as a byte join."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from kubesim import errors, tables
from kubesim.entries import Entry, ListPage
from kubesim.records import Obj, encode, list_item
from kubesim.resources import ResourceType
from kubesim.selectors import FieldSelector, LabelSelector, parse_field_selector, parse_label_selector
from kubesim.store import Store
from kubesim.validation import field
from kubesim.watch import WatchStream, serve
from kubesim.wire import TRUE, VIEWS_GROUPS, Target, int_param, json_response, shown, wants_table

DEFAULT_WATCH_TIMEOUT = 1800.0


def table(
    request: web.Request,
    store: Store,
    rt: ResourceType,
    objs: list[Obj],
    *,
    version: str | None = None,
    token: str | None = None,
) -> Obj:
    """The Table (`as=Table`) of some objects, as kubectl get asks for it."""
    return tables.table(
        rt.plural,
        objs,
        now=store.clock.now(),
        parse=store.clock.parse,
        resource_version=version,
        continue_token=token,
        include_object=request.query.get("includeObject", "Metadata"),
    )


async def list_or_watch(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    query = request.query
    rt = target.rt
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), rt.plural)
    if query.get("watch") in TRUE:
        return await watch(request, target, store, labels=labels, fields=fields)
    limit = int_param(query, "limit")
    if query.get("resourceVersionMatch") == "Exact":
        page = exact_page(request, target, store, labels=labels, fields=fields)
    else:
        page = store.list_page(
            rt.plural,
            target.namespace,
            label_selector=labels,
            field_selector=fields,
            limit=limit if limit and limit > 0 else None,
            continue_token=query.get("continue") or None,
        )
    if wants_table(request):
        return json_response(
            table(request, store, rt, page.items, version=page.resource_version, token=page.continue_token)
        )
    metadata: Obj = {"resourceVersion": page.resource_version}
    if page.continue_token:
        metadata["continue"] = page.continue_token
    if page.remaining is not None:
        metadata["remainingItemCount"] = page.remaining
    head = encode({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": metadata})
    if rt.group in VIEWS_GROUPS:
        raw = [
            encode({k: v for k, v in shown(rt, o).items() if k not in ("kind", "apiVersion")})
            for o in page.items
        ]
    else:
        stored = store.resource_type(rt.plural)
        raw = [list_item(stored, item) for item in page.raw]
    body = head[:-1] + b',"items":[' + b",".join(raw) + b"]}\n"
    return web.Response(body=body, content_type="application/json")


def exact_page(
    request: web.Request, target: Target, store: Store, *, labels: LabelSelector, fields: FieldSelector
) -> ListPage:
    """``resourceVersionMatch=Exact``: the list as it was at that version (whole, not paged)."""
    wanted = int_param(request.query, "resourceVersion")
    if wanted is None:
        cause = field.forbidden(
            "resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"
        )
        raise errors.invalid("ListOptions", "", [cause], group="meta.k8s.io")
    items = [
        obj
        for obj in store.objects_at(target.rt.plural, wanted)
        if (target.namespace is None or obj["metadata"].get("namespace") == target.namespace)
        and (labels.empty or labels.matches_object(obj))
        and (fields.empty or fields.matches(obj))
    ]
    return ListPage([Entry.plain(obj) for obj in items], str(wanted), None, None)


async def watch(request: web.Request, target: Target, store: Store, **selectors: Any) -> web.StreamResponse:
    query = request.query
    rt = target.rt
    if query.get("sendInitialEvents") in TRUE:
        causes = [
            field.forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
            )
        ]
        if query.get("resourceVersionMatch") != "NotOlderThan":
            causes.insert(
                0,
                field.forbidden(
                    "resourceVersionMatch",
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ),
            )
        raise errors.invalid("ListOptions", "", causes, group="meta.k8s.io")
    since_text = query.get("resourceVersion") or "0"
    try:
        since = int(since_text) or None
    except ValueError as e:
        raise errors.bad_request(f"invalid resourceVersion: {since_text!r}") from e
    timeout = int_param(query, "timeoutSeconds")
    stream = WatchStream(loop=asyncio.get_running_loop(), namespace=target.namespace, **selectors)
    as_table = wants_table(request)

    def render(kind: str, obj: Obj, first: bool) -> Obj:
        if kind == "ERROR":
            return obj
        if not as_table:
            return shown(rt, obj)
        rendered = table(request, store, rt, [obj])
        if not first:
            rendered["columnDefinitions"] = []
        return rendered

    bookmarks = query.get("allowWatchBookmarks") in TRUE
    return await serve(
        request,
        store=store,
        resource=rt.plural,
        stream=stream,
        since=since,
        timeout=float(timeout) if timeout and timeout > 0 else DEFAULT_WATCH_TIMEOUT,
        render=render,
        bookmark_type=(rt.api_version, rt.kind) if bookmarks else None,
    )
