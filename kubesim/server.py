"""The HTTP face of kubesim: the real Kubernetes REST paths on aiohttp (the wire format in kubesim.wire,
lists and watches in kubesim.lists, writes in kubesim.writes, scale and eviction in kubesim.subresources),
plus the `Simulator` that bundles store, controllers, faults and a server thread.

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

import yaml
from aiohttp import web

from kubesim import (
    access,
    discovery,
    errors,
    lists,
    logs,
    metrics_api,
    openapi,
    subresources,
    upgrades,
    writes,
)
from kubesim.audit import AuditLog
from kubesim.clock import Clock
from kubesim.controllers import ControllerManager
from kubesim.errors import ApiError
from kubesim.faults import HANG, LOST_ANSWER, Faults
from kubesim.records import Obj
from kubesim.resources import METRICS
from kubesim.scenario import load_scenario
from kubesim.store import Store
from kubesim.watch import WATCHES, WatchStream
from kubesim.wire import (
    Target,
    json_response,
    not_found_path,
    object_body,
    parse_target,
    read_body,
    shown,
    status_response,
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
        if fault.action == LOST_ANSWER:
            await handler(request)
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("kubesim dropped the answer (injected fault)")
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
                return await lists.list_or_watch(request, target, self.store)
            if method == "POST":
                return await writes.create(request, target, self.store)
            if method == "DELETE":
                return await writes.delete_collection(request, target, self.store)
            raise errors.method_not_allowed()
        if target.rt.namespaced and target.namespace is None:
            raise not_found_path()
        if target.subresource == "scale":
            return await subresources.scale(request, target, self.store, dry_run=writes.is_dry_run(request))
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
                return json_response(lists.table(request, self.store, target.rt, [obj]))
            return json_response(shown(target.rt, obj))
        if method == "PUT":
            return await writes.replace(request, target, self.store)
        if method == "PATCH":
            return await writes.patch(request, target, self.store)
        if method == "DELETE" and target.subresource is None:
            return await writes.delete(request, target, self.store)
        raise errors.method_not_allowed()


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
