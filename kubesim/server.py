"""The HTTP face of kubesim: the real Kubernetes REST paths on aiohttp (the wire format in kubesim.wire,
scale and eviction in kubesim.subresources), plus the `Simulator` that bundles
store, controllers, faults and a server thread.

Requests are routed by hand (`/api/v1/...`, `/apis/<group>/<version>/...`, namespaced or not, with
subresources) because the resource set is data (`kubesim.resources`). Every failure is answered with a
`kind: Status` body; an unexpected exception becomes a logged 500 InternalError naming the bug.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from aiohttp import web
from multidict import CIMultiDict

from kubesim import access, discovery, errors, logs, metrics_api, openapi, ssa, subresources, tables, upgrades
from kubesim.audit import AuditLog
from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.errors import ApiError
from kubesim.faults import HANG, Faults
from kubesim.patching import APPLY
from kubesim.records import ListPage, Obj, encode, list_item
from kubesim.resources import METRICS, ResourceType
from kubesim.scenario import load_scenario
from kubesim.selectors import (
    FieldSelector,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)
from kubesim.store import Store
from kubesim.validation import field, schema
from kubesim.watch import WATCHES, WatchStream, serve
from kubesim.wire import (
    VIEWS_GROUPS,
    Target,
    int_param,
    json_response,
    not_found_path,
    object_body,
    parse_target,
    read_body,
    shown,
    status_response,
    stored,
    wants_table,
)

log = logging.getLogger("kubesim")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REASONS = {
    400: "BadRequest",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_TRUE = ("1", "true", "True")
_DEFAULT_WATCH_TIMEOUT = 1800.0


class ApiServer:
    """The aiohttp application serving one store."""

    def __init__(self, *, store: Store, faults: Faults, server_version: str) -> None:
        self.store = store
        self.faults = faults
        self.server_version = server_version
        self.audit = AuditLog()
        """Every request served, as the API server's authorizer sees it (see kubesim.audit)."""

    # ---- application and middlewares ---------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (one catch-all route; routing is `handle`)."""
        app = web.Application(
            middlewares=[self.audit.middleware, self._errors, self._faults, access.middleware(self.store)],
            client_max_size=256 * 1024 * 1024,
        )
        app[WATCHES] = set()
        app.router.add_route("*", "/{path:.*}", self.handle)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as e:
            return status_response(e)
        except (web.HTTPException, asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as e:
            log.exception("kubesim bug while serving %s %s", request.method, request.path_qs)
            return status_response(errors.internal_error(f"kubesim bug: {type(e).__name__}: {e}"))

    @web.middleware
    async def _faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/kubesim/"):
            return await handler(request)
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)
        fault = self.faults.take_request_fault(request.method, request.path_qs)
        if fault is None:
            return await handler(request)
        if fault.action == HANG:
            await asyncio.sleep(fault.hang_seconds)
            raise errors.timeout(
                fault.message or "the server was unable to return a response in the time allotted"
            )
        code = int(fault.action)
        reason = _REASONS.get(code, "InternalError" if code >= 500 else "BadRequest")
        raise ApiError(
            code, reason, fault.message or f"kubesim injected fault ({code})", retry_after=fault.retry_after
        )

    # ---- routing -----------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Route one request."""
        path = request.path.rstrip("/") or "/"
        segments = [s for s in path.split("/") if s]
        if path in ("/healthz", "/readyz", "/livez"):
            return web.Response(text="ok")
        if path == "/version":
            return json_response(discovery.version_info(self.server_version))
        if segments[:1] == ["openapi"]:
            return openapi.serve(request, segments[1:], self.store.custom)
        if segments and segments[0] == "kubesim":
            return await self._admin(request, segments[1:])
        if not segments or segments[0] not in ("api", "apis"):
            raise not_found_path()
        if segments[0] == "api":
            if len(segments) == 1:
                return json_response(discovery.api_versions(server_address=request.host))
            group_version, rest = segments[1], segments[2:]
        else:
            if len(segments) == 1:
                return json_response(discovery.api_group_list(self.store.custom))
            if len(segments) == 2:
                group = discovery.api_group(segments[1], self.store.custom)
                if group is None:
                    raise not_found_path()
                return json_response(group)
            group_version, rest = f"{segments[1]}/{segments[2]}", segments[3:]
        if not rest:
            resource_list = discovery.api_resource_list(group_version, self.store.custom)
            if resource_list is None:
                raise not_found_path()
            return json_response(resource_list)
        if group_version == METRICS:
            return metrics_api.serve(request, self.store, rest)
        return await self._resource(request, parse_target(group_version, rest, self.store.custom))

    async def _admin(self, request: web.Request, rest: list[str]) -> web.StreamResponse:
        """`/kubesim/faults` (GET, POST JSON to add/set, DELETE to clear), `/kubesim/clock` ({"speed"}) and
        `/kubesim/version` (GET, POST {"gitVersion"}: see `kubesim.upgrades`) and `/kubesim/compact` (POST:
        forget the watch history, so that watches and exact lists from before get 410)."""
        if rest == ["faults"]:
            if request.method == "POST":
                self.faults.update_from_json(object_body(await read_body(request) or {}))
            elif request.method == "DELETE":
                self.faults.clear()
            return json_response(self.faults.to_json())
        if rest == ["clock"]:
            if request.method == "POST":
                body = object_body(await read_body(request) or {})
                if "speed" in body:
                    self.store.clock.speed = float(body["speed"])
                if "advance" in body:
                    self.store.clock.advance(float(body["advance"]))
            return json_response({"now": self.store.clock.timestamp(), "speed": self.store.clock.speed})
        if rest == ["compact"] and request.method == "POST":
            self.store.compact()
            return json_response({"compactedTo": self.store.resource_version})
        if rest == ["version"]:
            if request.method == "POST":
                self.server_version = upgrades.requested_version(await read_body(request))
            return json_response(discovery.version_info(self.server_version))
        raise not_found_path()

    async def _resource(self, request: web.Request, target: Target) -> web.StreamResponse:
        method = request.method
        if target.name is None:
            if method == "GET":
                return await self._list_or_watch(request, target)
            if method == "POST":
                return await self._create(request, target)
            if method == "DELETE":
                return await self._delete_collection(request, target)
            raise errors.method_not_allowed()
        if target.rt.namespaced and target.namespace is None:
            raise not_found_path()
        if target.subresource == "scale":
            return await subresources.scale(request, target, self.store, dry_run=self._dry_run(request))
        if target.subresource == "eviction":
            if method != "POST":
                raise errors.method_not_allowed()
            return await subresources.eviction(request, target, self.store)
        if target.subresource == "log":
            return logs.serve(request, target, self.store)
        if target.subresource not in (None, "status"):
            raise not_found_path()
        if method == "GET":
            obj = self.store.peek(target.rt.plural, target.namespace, target.name)
            if wants_table(request):
                return json_response(self._table(request, target.rt, [obj], None, None))
            return json_response(shown(target.rt, obj))
        if method == "PUT":
            return await self._replace(request, target)
        if method == "PATCH":
            return await self._patch(request, target)
        if method == "DELETE" and target.subresource is None:
            return await self._delete(request, target)
        raise errors.method_not_allowed()

    # ---- reads -------------------------------------------------------------------------------------------

    def _table(
        self, request: web.Request, rt: ResourceType, objs: list[Obj], version: str | None, token: str | None
    ) -> Obj:
        return tables.table(
            rt.plural,
            objs,
            now=self.store.clock.now(),
            parse=self.store.clock.parse,
            resource_version=version,
            continue_token=token,
            include_object=request.query.get("includeObject", "Metadata"),
        )

    async def _list_or_watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        query = request.query
        rt = target.rt
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), rt.plural)
        if query.get("watch") in _TRUE:
            return await self._watch(request, target, labels=labels, fields=fields)
        limit = int_param(query, "limit")
        if query.get("resourceVersionMatch") == "Exact":
            page = self._exact_page(request, target, labels=labels, fields=fields)
        else:
            page = self.store.list_page(
                rt.plural,
                target.namespace,
                label_selector=labels,
                field_selector=fields,
                limit=limit if limit and limit > 0 else None,
                continue_token=query.get("continue") or None,
            )
        if wants_table(request):
            return json_response(
                self._table(request, rt, page.items, page.resource_version, page.continue_token)
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
            stored = self.store.resource_type(rt.plural)
            raw = [list_item(stored, item) for item in page.raw]
        body = head[:-1] + b',"items":[' + b",".join(raw) + b"]}\n"
        return web.Response(body=body, content_type="application/json")

    def _exact_page(
        self, request: web.Request, target: Target, *, labels: LabelSelector, fields: FieldSelector
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
            for obj in self.store.objects_at(target.rt.plural, wanted)
            if (target.namespace is None or obj["metadata"].get("namespace") == target.namespace)
            and (labels.empty or labels.matches_object(obj))
            and (fields.empty or fields.matches(obj))
        ]
        return ListPage(items, [encode(obj) for obj in items], str(wanted), None, None)

    async def _watch(self, request: web.Request, target: Target, **selectors: Any) -> web.StreamResponse:
        query = request.query
        rt = target.rt
        if query.get("sendInitialEvents") in _TRUE:
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
            rendered = self._table(request, rt, [obj], None, None)
            if not first:
                rendered["columnDefinitions"] = []
            return rendered

        bookmarks = query.get("allowWatchBookmarks") in _TRUE
        return await serve(
            request,
            store=self.store,
            resource=rt.plural,
            stream=stream,
            since=since,
            timeout=float(timeout) if timeout and timeout > 0 else _DEFAULT_WATCH_TIMEOUT,
            render=render,
            bookmark_type=(rt.api_version, rt.kind) if bookmarks else None,
        )

    # ---- writes ------------------------------------------------------------------------------------------

    @staticmethod
    def _dry_run(request: web.Request, options: Obj | None = None) -> bool:
        return bool(request.query.getall("dryRun", [])) or bool((options or {}).get("dryRun"))

    def _check_kind(self, rt: ResourceType, body: Obj) -> None:
        kind, api_version = body.get("kind"), body.get("apiVersion")
        if kind and kind != rt.kind:
            raise errors.bad_request(
                f"the kind of the object ({kind}) does not match the request ({rt.kind})"
            )
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})"
            )

    @staticmethod
    def _fields(request: web.Request, rt: ResourceType, body: Obj) -> CIMultiDict[str]:
        """The Warning headers of a body's unknown fields (or the 400 of fieldValidation=Strict)."""
        mode = request.query.get("fieldValidation")
        warnings = schema.field_validation(rt.kind, rt.version, rt.plural, body, mode)
        return CIMultiDict(("Warning", warning) for warning in warnings)

    async def _create(self, request: web.Request, target: Target) -> web.StreamResponse:
        body = object_body(await read_body(request))
        self._check_kind(target.rt, body)
        body = stored(target.rt, body)
        warnings = self._fields(request, target.rt, body)
        namespace = target.namespace
        if target.rt.namespaced and namespace is None:
            namespace = (body.get("metadata") or {}).get("namespace")
            if not namespace:
                raise not_found_path()
        created = self.store.create(
            target.rt.plural, body, namespace=namespace, dry_run=self._dry_run(request)
        )
        return json_response(shown(target.rt, created), status=201, headers=warnings)

    async def _replace(self, request: web.Request, target: Target) -> web.StreamResponse:
        body = object_body(await read_body(request))
        self._check_kind(target.rt, body)
        body = stored(target.rt, body)
        warnings = self._fields(request, target.rt, body)
        meta = body.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != target.name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({target.name})"
            )
        meta["name"] = target.name
        if target.rt.namespaced:
            meta["namespace"] = target.namespace
        replaced = self.store.replace(
            target.rt.plural, body, subresource=target.subresource, dry_run=self._dry_run(request)
        )
        return json_response(shown(target.rt, replaced), headers=warnings)

    async def _patch(self, request: web.Request, target: Target) -> web.StreamResponse:
        body = await read_body(request)
        content_type = request.headers.get("Content-Type", "application/merge-patch+json")
        rt, name = target.rt, target.name or ""
        dry_run = self._dry_run(request)
        if content_type.startswith(APPLY) and not request.query.get("fieldManager"):
            cause = field.required("fieldManager", "is required for apply patch")
            raise errors.invalid("PatchOptions", "", [cause], group="meta.k8s.io")
        if content_type.startswith(APPLY) and target.subresource is None:
            return self._apply(request, target, object_body(body), dry_run=dry_run)
        patched = self.store.patch(
            rt.plural,
            target.namespace,
            name,
            body,
            content_type=content_type,
            subresource=target.subresource,
            dry_run=dry_run,
        )
        return json_response(shown(rt, patched))

    def _apply(self, request: web.Request, target: Target, body: Obj, *, dry_run: bool) -> web.Response:
        """Server-side apply (kubesim.ssa): create, or update what the manager's configuration sets."""
        rt, name = target.rt, target.name or ""
        current = self.store.find(rt.plural, target.namespace, name)
        result = ssa.apply(
            current,
            body,
            manager=request.query["fieldManager"],
            force=request.query.get("force") in _TRUE,
            api_version=rt.api_version,
            stamp=self.store.clock.timestamp(),
        )
        if current is None:
            created = self.store.create(rt.plural, result, namespace=target.namespace, dry_run=dry_run)
            return json_response(shown(rt, created), status=201)
        result["metadata"].update(resourceVersion=current["metadata"]["resourceVersion"], name=name)
        if rt.namespaced:
            result["metadata"]["namespace"] = target.namespace
        return json_response(shown(rt, self.store.replace(rt.plural, result, dry_run=dry_run)))

    def _delete_options(self, request: web.Request, body: Any) -> Obj:
        options: Obj = dict(body) if isinstance(body, dict) else {}
        grace = int_param(request.query, "gracePeriodSeconds")
        if grace is not None:
            options["gracePeriodSeconds"] = grace
        if request.query.get("propagationPolicy"):
            options["propagationPolicy"] = request.query["propagationPolicy"]
        if request.query.get("orphanDependents") in _TRUE or options.get("orphanDependents"):
            options.setdefault("propagationPolicy", "Orphan")
        return options

    async def _delete(self, request: web.Request, target: Target) -> web.StreamResponse:
        options = self._delete_options(request, await read_body(request))
        deleted = self.store.delete(
            target.rt.plural,
            target.namespace,
            target.name or "",
            grace_period_seconds=options.get("gracePeriodSeconds"),
            preconditions=options.get("preconditions"),
            propagation_policy=options.get("propagationPolicy"),
            dry_run=self._dry_run(request, options),
        )
        return json_response(shown(target.rt, deleted))

    async def _delete_collection(self, request: web.Request, target: Target) -> web.StreamResponse:
        options = self._delete_options(request, await read_body(request))
        rt = target.rt
        items, _ = self.store.list(
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
                    self.store.delete(
                        rt.plural,
                        meta.get("namespace"),
                        meta["name"],
                        grace_period_seconds=options.get("gracePeriodSeconds"),
                        propagation_policy=options.get("propagationPolicy"),
                        dry_run=self._dry_run(request, options),
                    )
                )
        metadata = {"resourceVersion": str(self.store.resource_version)}
        return json_response(
            {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": metadata, "items": deleted}
        )


class Simulator:
    """The whole simulated cluster: store, controllers, faults and an HTTP server on a background thread."""

    def __init__(
        self,
        *,
        scenario: str | Path | None = "default",
        server_version: str = "v1.31.4",
        speed: float = 1.0,
    ) -> None:
        self.clock = Clock(speed=speed)
        self.store = Store(clock=self.clock)
        self.faults = Faults()
        self.controllers = ControllerManager(self.store, faults=self.faults)
        self.api = ApiServer(store=self.store, faults=self.faults, server_version=server_version)
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._app: web.Application | None = None
        if scenario is not None:
            load_scenario(self.store, scenario)

    def start(self, *, host: str = "127.0.0.1", port: int = 0, controllers: bool = True) -> None:
        """Serve on host:port (0 = any free port; see `url`) and start the controllers."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            runner: web.AppRunner | None = None
            try:
                self._app = self.api.make_app()
                runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, host, port)
                loop.run_until_complete(site.start())
                bound = runner.addresses[0]
                self.url = f"http://{host if ':' not in host else f'[{host}]'}:{bound[1]}"
            except BaseException as e:
                failure.append(e)
                ready.set()
                if runner is not None:
                    loop.run_until_complete(runner.cleanup())
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="kubesim-http", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        if controllers:
            self.controllers.start()

    def stop(self) -> None:
        """Stop the controllers, end open watches and shut the server down."""
        self.controllers.stop()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._app is not None:
            streams: set[WatchStream] = self._app[WATCHES]
            for stream in list(streams):
                stream.stop()
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None

    @property
    def open_watches(self) -> int:
        """How many watch streams are being served right now."""
        return len(self._app[WATCHES]) if self._app is not None else 0

    def kubeconfig(self, *, context: str = "kubesim") -> Obj:
        """A kubeconfig document for this server: plain HTTP, one context, a dummy bearer token."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": context, "user": {"token": "kubesim-dummy-token"}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": context, "namespace": "default"}}
            ],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(self, path: Path) -> Path:
        """Write the kubeconfig (kubectl and kubernetes.config.load_kube_config read it unchanged)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        return path

    def __enter__(self) -> Simulator:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
