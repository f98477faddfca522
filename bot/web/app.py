"""The incident page's routes, mounted beside the front's (never under ``/slack``).

``GET /incidents/{token}`` renders the page; ``/export.md`` and ``/export.json`` under it are the
documents ``timeline --export`` gives; ``/events`` is a server-sent event stream that says when the
open incident's timeline grew (the page's small script then fetches itself again), and ends when the
incident closes. A missing, malformed, tampered, expired or revoked token gets the same 404 as an
unknown incident, so a link says nothing about incidents it does not open. Responses are never
cached and send no referrer (the token is in the URL); scripts need the response's nonce.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from redis import Redis
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.core.page_links import PageLinks
from bot.core.timeline import TimelineExport, export_json, export_markdown
from bot.timeline_store import TimelineStore, incident_stream
from bot.web.view import Names, incident_view, same_name
from shared.messages import incident_page as page_words
from shared.messages import timeline as messages

PAGE_PATH = "/incidents/{token}"
EVENTS_SECONDS = 300.0
"""How long one event stream stays open; the browser reconnects by itself (``retry``)."""

_ENVIRONMENT = Environment(
    loader=PackageLoader("bot.web", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)
"""Strict: a name the template uses and the view does not give is an error, never an empty gap."""
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


def page_routes(
    *,
    links: PageLinks,
    timeline: TimelineStore,
    clock: Callable[[], float] = time.time,
    names: Names = same_name,
    poll_seconds: float = 0.5,
) -> list[BaseRoute]:
    """The page's routes, reading ``timeline`` and opening only what ``links`` signed."""

    def load(token: str) -> TimelineExport | None:
        incident_id = links.check(token, now=clock())
        if incident_id is None:
            return None
        scope = timeline.scope(channel="", incident_id=incident_id)
        if scope is None or scope.incident is None:
            return None
        return timeline.export(scope)

    def render(token: str, *, base: str, nonce: str) -> str | None:
        export = load(token)
        if export is None:
            return None
        return render_incident(export, now=clock(), names=names, base=base, nonce=nonce)

    async def page(request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        base = request.url.path.rstrip("/")
        html = await run_in_threadpool(render, request.path_params["token"], base=base, nonce=nonce)
        if html is None:
            return not_found()
        policy = (
            "default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors 'none'; script-src 'nonce-{nonce}'"
        )
        return HTMLResponse(html, headers=_HEADERS | {"Content-Security-Policy": policy})

    async def download(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        export = await run_in_threadpool(load, request.path_params["token"])
        if export is None or fmt not in {"md", "json"} or export.incident is None:
            return not_found()
        content = export_markdown(export) if fmt == "md" else export_json(export)
        media = "text/markdown; charset=utf-8" if fmt == "md" else "application/json"
        disposition = f'attachment; filename="{export.incident.incident_id}.{fmt}"'
        return Response(content, media_type=media, headers=_HEADERS | {"Content-Disposition": disposition})

    def state(incident_id: str, token: str) -> tuple[int, bool] | None:
        """The stream's last sequence number and whether the incident is open; None once the link fails."""
        if links.check(token, now=clock()) != incident_id:
            return None
        incident = timeline.incident(incident_id)
        head = timeline.head(incident_stream(incident_id))
        return (0 if head is None else head.seq), incident is not None and incident.is_open

    async def events(request: Request) -> Response:
        token = request.path_params["token"]
        incident_id = await run_in_threadpool(links.check, token, now=clock())
        if incident_id is None or await run_in_threadpool(timeline.incident, incident_id) is None:
            return not_found()
        after = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        seen = int(after) if after.isascii() and after.isdigit() else 0

        async def stream() -> AsyncIterator[str]:
            nonlocal seen
            yield "retry: 3000\n\n"
            deadline = time.monotonic() + EVENTS_SECONDS
            while time.monotonic() < deadline:
                now = await run_in_threadpool(state, incident_id, token)
                if now is None:
                    yield "event: gone\ndata: \n\n"
                    return
                seq, is_open = now
                if seq > seen:
                    seen = seq
                    yield f"id: {seq}\nevent: entries\ndata: {seq}\n\n"
                if not is_open:
                    yield "event: closed\ndata: \n\n"
                    return
                await asyncio.sleep(poll_seconds)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=_HEADERS)

    return [
        Route(PAGE_PATH, page, methods=["GET"]),
        Route(PAGE_PATH + "/export.{fmt}", download, methods=["GET"]),
        Route(PAGE_PATH + "/events", events, methods=["GET"]),
    ]


def render_incident(export: TimelineExport, *, now: float, names: Names, base: str, nonce: str) -> str:
    """The page's HTML: ``base`` is the page's own path (downloads and events are under it)."""
    view = incident_view(export, now=now, names=names)
    return _ENVIRONMENT.get_template("incident.html").render(
        view=view,
        heading=messages.web_title(incident_id=view.incident_id, title=view.title),
        live=messages.web_live(),
        words=page_words.WORDS,
        base=base,
        nonce=nonce,
    )


def not_found() -> Response:
    """The one answer to every link that does not open a page."""
    html = _ENVIRONMENT.get_template("not_found.html").render(text=messages.web_not_found())
    return HTMLResponse(html, status_code=404, headers=_HEADERS)


def configured_page_routes(
    links: PageLinks | None, *, connection: Redis, timeline_key: bytes, names: Names = same_name
) -> list[BaseRoute]:
    """The page's routes on ``connection`` when links are configured (``CHATOPS_PAGE_KEY``), else none.

    ``timeline_key`` is the timeline's chain key, for the verdict the page shows.
    """
    if links is None:
        return []
    return page_routes(links=links, timeline=TimelineStore(connection, key=timeline_key), names=names)
