"""A local stand-in for the Slack Web API: records every call and answers the way Slack does.

A stdlib ``ThreadingHTTPServer`` on a free loopback port. Point a ``WebClient`` (or the app, through
``SLACK_API_URL``) at :attr:`FakeSlack.url`. Every request is kept as a :class:`Call` (method, parsed
form or JSON body, headers, the status answered), and messages are kept per channel so updates can
be checked. Like Slack:

- a request without a bearer token gets ``{"ok": false, "error": "invalid_auth"}``;
- ``auth.test`` names the bot and sends the granted scopes in ``x-oauth-scopes``;
- ``chat.postMessage`` makes a new, ever-increasing ``ts``; ``chat.update`` needs an existing message;
- posting to a channel starting with ``C_GONE`` gets ``channel_not_found``;
- ``files.getUploadURLExternal`` hands out an upload URL on the fake itself; the bytes POSTed there
  are kept, and ``files.completeUploadExternal`` shares them in ``channel_id`` (and ``thread_ts``)
  as a :class:`SharedFile` in :attr:`FakeSlack.files`: completing an id whose bytes never arrived,
  or whose length differs from the one announced, gets ``upload_failed``; while uploads are
  refused (:attr:`FakeSlack.refuse_uploads`) getting a URL fails with ``missing_scope``;
- ``views.publish`` keeps the view published for each user in :attr:`FakeSlack.home_views`;
- while a rate-limit storm is on (:meth:`FakeSlack.rate_limit`), calls get HTTP 429 with
  ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``;
- a failure armed with :meth:`FakeSlack.fail` answers the next matching calls of one method with
  ``{"ok": false, "error": ...}`` (what Slack says when it has a bad moment);
- any other path (a slash command's ``response_url``) answers ``ok``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"
MISSING_CHANNEL_PREFIX = "C_GONE"
"""Channels whose id starts with this do not exist: posting there gets ``channel_not_found``."""
SCOPES = "app_mentions:read,channels:history,chat:write,commands,files:write,groups:history,im:history,reactions:read,reactions:write,users:read,usergroups:read"
UPLOAD_PATH = "/upload/"
"""Where the fake's upload URLs point (``/upload/<file id>``)."""


def person(user: str, *, team: str = TEAM, **flags: bool) -> dict[str, Any]:
    """A ``users.info`` user: a full, active member unless ``flags`` say otherwise."""
    record: dict[str, Any] = {
        "id": user,
        "team_id": team,
        "name": user.lower(),
        "deleted": False,
        "is_bot": False,
        "is_admin": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "tz": "Europe/Berlin",
    }
    record.update(flags)
    return record


@dataclasses.dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    """The Web API method (``chat.postMessage``), or the path for anything else."""
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    """Lower-cased names."""
    status: int
    """The HTTP status answered."""
    answer: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The JSON answered (``ts`` of a posted message, for instance)."""

    @property
    def accepted(self) -> bool:
        """True when the call was answered 200 with ``ok: true``."""
        return self.status == 200 and bool(self.answer.get("ok", True))

    @property
    def token(self) -> str | None:
        """The bearer token sent, if any."""
        value = self.headers.get("authorization", "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None

    @property
    def text(self) -> str:
        """The message text sent (empty when none)."""
        return str(self.body.get("text") or "")

    def shown_text(self) -> str:
        """Every piece of text this call would show: ``text`` and all text in ``blocks``."""
        return self.text + "\n" + json.dumps(self.body.get("blocks") or [], ensure_ascii=False)


@dataclasses.dataclass
class SharedFile:
    """A file uploaded with the v2 flow: announced, its bytes received, then shared (or not yet)."""

    file_id: str
    filename: str
    length: int
    """The length announced to ``files.getUploadURLExternal``."""
    content: bytes | None = None
    """The bytes POSTed to the upload URL; ``None`` until they arrive."""
    channel: str | None = None
    """Where ``files.completeUploadExternal`` shared it; ``None`` until then."""
    thread_ts: str | None = None
    title: str | None = None
    initial_comment: str | None = None

    @property
    def text(self) -> str:
        """The content as UTF-8 text (empty before the bytes arrived)."""
        return (self.content or b"").decode()


@dataclasses.dataclass
class _Failure:
    """An armed failure: the next ``left`` calls of ``method`` matching ``where`` get ``error``."""

    method: str
    left: int
    error: str
    where: Callable[[Mapping[str, Any]], bool]


class FakeSlack:
    """The fake Web API server; use as a context manager."""

    def __init__(
        self,
        *,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        usergroups: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.users: dict[str, Mapping[str, Any]] = dict(users or {})
        self.usergroups: dict[str, list[str]] = dict(usergroups or {})
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.files: dict[str, SharedFile] = {}
        """Every file announced for upload, by id."""
        self.home_views: dict[str, Mapping[str, Any]] = {}
        """The App Home view last published for each user."""
        self.refuse_uploads = False
        """When set, ``files.getUploadURLExternal`` fails as for a token without ``files:write``."""
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._clock = itertools.count(1)
        self._epoch = int(time.time())
        self._storm_left = 0
        self._storm_retry_after = 1
        self._failures: list[_Failure] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )

    @property
    def url(self) -> str:
        """The Web API base URL (what ``SLACK_API_URL`` is set to)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def response_url(self) -> str:
        """A URL to give as a slash command's ``response_url``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook/r1"

    def shared_files(self) -> list[SharedFile]:
        """The files completed and shared so far, in upload order."""
        with self._lock:
            return [file for file in self.files.values() if file.channel is not None]

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def rate_limit(self, *, calls: int, retry_after: int = 1) -> None:
        """Answer the next ``calls`` Web API calls (but ``auth.test``) with 429 and ``Retry-After``."""
        with self._lock:
            self._storm_left = calls
            self._storm_retry_after = retry_after

    def fail(
        self,
        method: str,
        *,
        calls: int = 1,
        error: str = "internal_error",
        where: Callable[[Mapping[str, Any]], bool] = lambda _body: True,
    ) -> None:
        """Answer the next ``calls`` calls of ``method`` whose body matches ``where`` with ``error``."""
        with self._lock:
            self._failures.append(_Failure(method=method, left=calls, error=error, where=where))

    def calls(self, method: str | None = None) -> list[Call]:
        """The calls received so far, oldest first; or only the calls of ``method`` that Slack accepted."""
        with self._lock:
            calls = list(self._calls)
        if method is None:
            return calls
        return [call for call in calls if call.method == method and call.accepted]

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        where: Callable[[Call], bool] = lambda _call: True,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` match ``where``; return those calls."""
        deadline = time.monotonic() + timeout
        while True:
            found = [call for call in self.calls(method) if where(call)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {len(found)}: {found}")
            time.sleep(0.01)

    def _new_ts(self) -> str:
        return f"{self._epoch}.{next(self._clock):06d}"

    def _answer(
        self, method: str, body: Mapping[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON answer and extra headers for one Web API call."""
        if token is None or not token.startswith(("xoxb-", "xapp-")):
            return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, {}
        with self._lock:
            if self._storm_left > 0 and method != "auth.test":
                self._storm_left -= 1
                retry_after = str(self._storm_retry_after)
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry_after}
            for failure in self._failures:
                if failure.method == method and failure.left > 0 and failure.where(body):
                    failure.left -= 1
                    return 200, {"ok": False, "error": failure.error}, {}
        if method == "auth.test":
            answer = {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "opsbot"}
            answer |= {"team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
            return 200, answer, {"x-oauth-scopes": SCOPES}
        if method == "chat.postMessage":
            if str(body.get("channel", "")).startswith(MISSING_CHANNEL_PREFIX):
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            with self._lock:
                ts = self._new_ts()
                message = {"ts": ts, "user": BOT_USER, "bot_id": BOT_ID, **body}
                self.messages[(str(body.get("channel")), ts)] = message
            return 200, {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}, {}
        if method == "chat.update":
            key = (str(body.get("channel")), str(body.get("ts")))
            with self._lock:
                if key not in self.messages:
                    return 200, {"ok": False, "error": "message_not_found"}, {}
                self.messages[key] = {**self.messages[key], **body}
            return 200, {"ok": True, "channel": key[0], "ts": key[1], "text": body.get("text", "")}, {}
        if method == "chat.postEphemeral":
            with self._lock:
                ts = self._new_ts()
            return 200, {"ok": True, "message_ts": ts}, {}
        if method.startswith("files."):
            return self._answer_files(method, body)
        if method == "views.publish":
            view = body.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            if not body.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
            with self._lock:
                self.home_views[str(body["user_id"])] = view
            return 200, {"ok": True, "view": {"id": f"V{next(self._clock)}", **view}}, {}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return 200, {"ok": False, "error": "user_not_found"}, {}
            return 200, {"ok": True, "user": dict(user)}, {}
        if method == "usergroups.users.list":
            members = self.usergroups.get(str(body.get("usergroup")))
            if members is None:
                return 200, {"ok": False, "error": "no_such_subteam"}, {}
            return 200, {"ok": True, "users": list(members)}, {}
        if method == "conversations.replies":
            return self._answer_replies(body)
        return 200, {"ok": True}, {}

    def _answer_replies(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """A thread: its root (when known) and the messages posted in it, oldest first, as Slack pages them.

        ``latest`` with ``inclusive`` bounds the newest message returned; ``limit`` the page size.
        Metadata is returned as it was posted (Slack returns an app's own metadata).
        """
        channel, root = str(body.get("channel")), str(body.get("ts"))
        with self._lock:
            thread = [
                dict(message)
                for (where, ts), message in self.messages.items()
                if where == channel and (ts == root or str(message.get("thread_ts") or "") == root)
            ]
        if not thread:
            return 200, {"ok": False, "error": "thread_not_found"}, {}
        thread.sort(key=lambda message: float(message["ts"]))
        latest = body.get("latest")
        if latest:
            inclusive = str(body.get("inclusive", "")).lower() in ("1", "true")
            bound = float(str(latest))
            thread = [m for m in thread if float(m["ts"]) < bound or (inclusive and float(m["ts"]) == bound)]
        limit = int(str(body.get("limit") or 1000))
        return 200, {"ok": True, "messages": thread[:limit], "has_more": len(thread) > limit}, {}

    def _answer_files(
        self, method: str, body: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The two Web API steps of an upload (the bytes go to :meth:`_receive_upload` in between)."""
        if method == "files.getUploadURLExternal":
            if self.refuse_uploads:
                return 200, {"ok": False, "error": "missing_scope", "needed": "files:write"}, {}
            filename, length = str(body.get("filename") or ""), str(body.get("length") or "")
            if not filename or not length.isdigit():
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
            with self._lock:
                file_id = f"F{next(self._clock):08d}"
                self.files[file_id] = SharedFile(file_id=file_id, filename=filename, length=int(length))
            upload_url = f"http://127.0.0.1:{self._server.server_address[1]}{UPLOAD_PATH}{file_id}"
            return 200, {"ok": True, "upload_url": upload_url, "file_id": file_id}, {}
        if method == "files.completeUploadExternal":
            wanted = json.loads(str(body.get("files") or "[]"))
            channel = body.get("channel_id")
            with self._lock:
                found = [self.files.get(str(entry.get("id"))) for entry in wanted]
                if not wanted or any(
                    f is None or f.content is None or len(f.content) != f.length for f in found
                ):
                    return 200, {"ok": False, "error": "upload_failed"}, {}
                shared = []
                for entry, file in zip(wanted, found, strict=True):
                    assert file is not None
                    file.channel = str(channel) if channel else None
                    file.thread_ts = str(body["thread_ts"]) if body.get("thread_ts") else None
                    file.title = entry.get("title")
                    file.initial_comment = body.get("initial_comment")
                    shared.append({"id": file.file_id, "title": file.title or file.filename})
            return 200, {"ok": True, "files": shared}, {}
        return 200, {"ok": True}, {}

    def _receive_upload(self, file_id: str, content: bytes) -> int:
        """Keep the bytes POSTed to an upload URL; 404 for an id never handed out."""
        with self._lock:
            file = self.files.get(file_id)
            if file is None:
                return 404
            file.content = content
        return 200

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                del format, args

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                path = self.path.split("?", 1)[0]
                if path.startswith(UPLOAD_PATH):  # the bytes of a file, not a form
                    status = fake._receive_upload(path.removeprefix(UPLOAD_PATH), raw)
                    fake._record(Call(method=path, body={"length": len(raw)}, headers=headers, status=status))
                    self._send(status, f"OK - {len(raw)}".encode(), {"content-type": "text/plain"})
                    return
                body = _parse_body(raw, headers.get("content-type", ""))
                if not path.startswith("/api/"):
                    fake._record(Call(method=path, body=body, headers=headers, status=200))
                    self._send(200, b"ok", {"content-type": "text/plain"})
                    return
                method = path.removeprefix("/api/")
                token = headers.get("authorization", "").removeprefix("Bearer ") or body.get("token") or None
                status, answer, extra = fake._answer(method, body, token)
                fake._record(Call(method=method, body=body, headers=headers, status=status, answer=answer))
                self._send(status, json.dumps(answer).encode(), {"content-type": "application/json", **extra})

            def _send(self, status: int, payload: bytes, headers: Mapping[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))
