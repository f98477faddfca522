"""The front never holds more of a request than ``SLACK_MAX_BODY_BYTES``, signed or not.

Slack's payloads are a few kilobytes. A request announcing a bigger body is refused with 413 before
any of it is read; one streamed without a length (chunked) is refused as soon as it passes the
limit, without waiting for the rest. Nothing of either reaches the inbox. These requests are written
on a raw socket, as an attacker would send them: an HTTP client would not send half a body.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from redis import Redis

from bot.settings import DEFAULT_MAX_BODY_BYTES, Settings, SettingsError
from bot.slack.assembly import SlackBot
from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.ingress.inbox import Inbox
from bot.slack.ingress.server import ServerThread
from tests.slack.conftest import MakeBot
from tests.slack.signed import SECRET, signature
from tests.support.ports import free_port

pytestmark = pytest.mark.redis

LIMIT = 4096
"""The front's limit in these tests: small, so a body over it is quick to send."""
ANSWER_SECONDS = 5.0
"""How long a refusal may take; a front waiting for the rest of the body never answers."""


@pytest.fixture(name="front")
def fixture_front(make_bot: MakeBot) -> Iterator[ServerThread]:
    """The whole bot's front, served over HTTP with ``SLACK_MAX_BODY_BYTES`` at :data:`LIMIT`."""
    bot: SlackBot = make_bot(settings={"slack_max_body_bytes": LIMIT})
    with ServerThread(bot.asgi, port=free_port()) as server:
        yield server


def head(*lines: str) -> bytes:
    """The start of a POST to the events URL with these header lines."""
    return "\r\n".join([f"POST {EVENTS_PATH} HTTP/1.1", "Host: bot", *lines, "", ""]).encode()


def signed_headers(body: bytes) -> list[str]:
    """The signature headers of ``body`` sent now."""
    now = int(time.time())
    return [
        "Content-Type: application/x-www-form-urlencoded",
        f"X-Slack-Request-Timestamp: {now}",
        f"X-Slack-Signature: {signature(body, secret=SECRET, timestamp=now)}",
    ]


def chunked(body: bytes, *, size: int = 1024) -> bytes:
    """``body`` in chunked transfer encoding, without the final empty chunk (more may follow)."""
    pieces = [body[at : at + size] for at in range(0, len(body), size)]
    return b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces)


def status_of(server: ServerThread, *parts: bytes) -> int:
    """Send ``parts`` on one connection and return the status the front answers, keeping it open."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=ANSWER_SECONDS) as sock:
        for part in parts:
            sock.sendall(part)
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            pytest.fail(f"no answer within {ANSWER_SECONDS} s: the front is waiting for the rest of the body")
    return int(answer.split(b" ", 2)[1])


def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(
    front: ServerThread, connection: Redis
) -> None:
    """Content-Length of 300 MB, not a byte of it sent: 413 at once, nothing stored."""
    status = status_of(front, head("Content-Type: application/json", "Content-Length: 300000000"))
    assert status == 413
    assert Inbox(connection).depth() == 0


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(
    front: ServerThread, connection: Redis
) -> None:
    """Chunked, no length: 413 once twice the limit has come, though the body has not ended."""
    body = urlencode({"command": "/ops", "text": "x" * (2 * LIMIT)}).encode()
    status = status_of(front, head(*signed_headers(body), "Transfer-Encoding: chunked"), chunked(body))
    assert status == 413
    assert Inbox(connection).depth() == 0


def test_a_streamed_body_under_the_limit_is_taken(front: ServerThread, connection: Redis) -> None:
    """The limit is on size, not on the encoding: a small signed chunked body is stored."""
    body = urlencode({"command": "/ops", "user_id": "U1", "channel_id": "C1", "text": "nodes"}).encode()
    status = status_of(
        front,
        head(*signed_headers(body), "Transfer-Encoding: chunked"),
        chunked(body, size=16) + b"0\r\n\r\n",
    )
    assert status == 200
    assert Inbox(connection).depth() == 1


def test_the_limit_is_a_setting_whose_default_is_far_above_what_slack_sends() -> None:
    """SLACK_MAX_BODY_BYTES sets it; 1 MB by default; a value that is not a size is refused naming it."""
    assert Settings.from_env({}).slack_max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1_000_000
    assert Settings.from_env({"SLACK_MAX_BODY_BYTES": "65536"}).slack_max_body_bytes == 65_536
    for bad in ("1MB", "0", "-5"):
        with pytest.raises(SettingsError, match="SLACK_MAX_BODY_BYTES"):
            Settings.from_env({"SLACK_MAX_BODY_BYTES": bad})
