"""Sharing a document in a thread as a file, with Slack's external upload flow (files upload v2).

A timeline export can be far longer than a message may be (Slack cuts text at 40,000 characters),
so it goes up as a file, in three steps:

1. ``files.getUploadURLExternal`` with the file name and its length in bytes: an upload URL and a
   file id;
2. the bytes POSTed, as they are, to that URL (not a Web API method: no token, no form);
3. ``files.completeUploadExternal`` with the file id, ``channel_id`` and ``thread_ts``: the file is
   shared in the thread, with the reply's sentence as its comment.

:func:`upload_to_thread` reports whether all three steps worked instead of raising, so the caller
can fall back to showing the document in a message. It needs the ``files:write`` scope.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def upload_to_thread(
    client: WebClient, *, channel: str, thread_ts: str, filename: str, content: str, comment: str
) -> bool:
    """Share ``content`` as ``filename`` in the thread, under ``comment``; False if any step failed."""
    data = content.encode()
    try:
        ticket = client.files_getUploadURLExternal(filename=filename, length=len(data))
        upload_url, file_id = str(ticket["upload_url"]), str(ticket["file_id"])
        if not send_bytes(upload_url, data, client=client):
            return False
        client.files_completeUploadExternal(
            files=[{"id": file_id, "title": filename}],
            channel_id=channel,
            thread_ts=thread_ts,
            initial_comment=comment,
        )
    except SlackApiError as error:
        log.info("upload of %s failed: %s", filename, error.response.get("error"))
        return False
    return True


def send_bytes(url: str, data: bytes, *, client: WebClient) -> bool:
    """POST ``data`` to an upload URL with the client's TLS context and timeout; True when answered 200."""
    if not url.startswith(("https://", "http://")):  # never file:// or the like, whatever came back
        log.info("upload URL refused: %s", url.split(":", 1)[0])
        return False
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"content-type": "application/octet-stream"}
    )
    try:
        with urllib.request.urlopen(request, timeout=client.timeout, context=client.ssl) as answer:
            answer.read()
            ok: bool = answer.status == 200
    except (urllib.error.URLError, OSError) as error:  # HTTPError is a URLError
        log.info("upload to %s failed: %s", url.split("?", 1)[0], error)
        return False
    return ok
