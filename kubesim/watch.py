"""Streaming watches: newline-delimited JSON events over a chunked response (kubernetes.md §7.6).

The store calls `WatchStream.offer` from the writing thread with its lock held, so `offer` only filters
(namespace, label and field selectors, turning selector enter/leave into ADDED/DELETED) and hands the
event to the event loop; the coroutine `serve` does the writing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from kubesim.errors import ApiError
from kubesim.records import Event, encode
from kubesim.selectors import FieldSelector, LabelSelector
from kubesim.store import Store

Obj = dict[str, Any]
Render = Callable[[str, Obj, bool], Obj]
"""(event type, object, first event?) → the object to send (identity, or a one-row Table)."""

_STOP: tuple[str, Obj] = ("STOP", {})
WATCHES: web.AppKey[set[WatchStream]] = web.AppKey("watches", set)
"""The application's open watches, so a stopping server can end them."""


class WatchStream:
    """One client's watch on one resource collection."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
    ) -> None:
        self._loop = loop
        self._namespace = namespace
        self._labels = labels
        self._fields = fields
        self.queue: asyncio.Queue[tuple[str, Obj]] = asyncio.Queue()

    def visible(self, obj: Obj | None) -> bool:
        """True when the object falls inside this watch's namespace and selectors."""
        if obj is None:
            return False
        if self._namespace is not None and obj.get("metadata", {}).get("namespace") != self._namespace:
            return False
        return self._labels.matches_object(obj) and self._fields.matches(obj)

    def translate(self, event: Event) -> tuple[str, Obj] | None:
        """The event this client should see, if any."""
        if event.type == "MODIFIED":
            now, before = self.visible(event.obj), self.visible(event.old)
            if now:
                return ("MODIFIED" if before else "ADDED"), event.obj
            return ("DELETED", event.obj) if before else None
        return (event.type, event.obj) if self.visible(event.obj) else None

    def offer(self, event: Event) -> None:
        """Store callback (any thread, store lock held): filter and pass on to the loop."""
        translated = self.translate(event)
        if translated is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
                self._loop.call_soon_threadsafe(self.queue.put_nowait, translated)

    def stop(self) -> None:
        """Ask `serve` to finish (server shutdown)."""
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.queue.put_nowait, _STOP)


async def serve(
    request: web.Request,
    *,
    store: Store,
    resource: str,
    stream: WatchStream,
    since: int | None,
    timeout: float,
    render: Render,
    bookmark_type: tuple[str, str] | None = None,
) -> web.StreamResponse:
    """Run one watch until `timeout` seconds pass, the client leaves, or the server stops.

    `bookmark_type` (apiVersion, kind) asks for a BOOKMARK event every idle second."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    try:
        backlog, unsubscribe = store.watch(resource, since=since, fn=stream.offer)
    except ApiError as e:
        await response.prepare(request)
        await response.write(encode({"type": "ERROR", "object": e.to_status()}) + b"\n")
        await response.write_eof()
        return response
    registry = request.app[WATCHES]
    registry.add(stream)
    first = True
    try:
        await response.prepare(request)
        for event in backlog:
            translated = (
                ("ADDED", event.obj)
                if since is None and stream.visible(event.obj)
                else stream.translate(event)
            )
            if translated is not None:
                await response.write(
                    encode({"type": translated[0], "object": render(*translated, first)}) + b"\n"
                )
                first = False
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                kind, obj = await asyncio.wait_for(stream.queue.get(), min(remaining, 1.0))
            except TimeoutError:
                transport = request.transport
                if transport is None or transport.is_closing():
                    break  # the client went away: stop holding a subscription for it
                if bookmark_type:
                    bookmark = {
                        "apiVersion": bookmark_type[0],
                        "kind": bookmark_type[1],
                        "metadata": {"resourceVersion": str(store.resource_version)},
                    }
                    await response.write(encode({"type": "BOOKMARK", "object": bookmark}) + b"\n")
                continue
            if kind == "STOP":
                break
            await response.write(encode({"type": kind, "object": render(kind, obj, first)}) + b"\n")
            first = False
        await response.write_eof()
    except ConnectionResetError:
        pass
    finally:
        unsubscribe()
        registry.discard(stream)
    return response
