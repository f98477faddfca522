"""Approval request messages in Slack: posted with buttons, then edited as the plan and the decision arrive.

The engine says *what* happened to a request; this module keeps its one message current:

- :meth:`ApprovalPosts.post_request` posts the request in its thread (plan, approvers, expiry,
  Approve/Deny buttons) and remembers where the message is;
- :meth:`ApprovalPosts.show_plan` fills in the plan when the dry-run job reports it (a ``plan`` event
  of the request's plan job), so approvers see what they approve;
- :meth:`ApprovalPosts.show_progress` shows who approved so far while more approvals are needed
  (the buttons stay);
- :meth:`ApprovalPosts.show_decision` replaces the buttons by who decided and when.

Where each message is lives in Redis, one hash per request with a TTL (a day past the request's
deadline), so any bot process, or the same one after a restart, can edit it::

    chatops:slack:approval-message:<approval_id>   {channel, ts, request (JSON), plan}

Edits of one message are serialised within the process, so a plan arriving while someone decides
never brings the buttons back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.approvals import ApprovalRequest, approval_id_for
from bot.slack.posting.uploads import upload_to_thread
from bot.slack.views.approval_view import approval_blocks, approval_view
from bot.slack.views.blocks import approval_fallback
from shared.fit import attached
from shared.jobevents import EventKind, JobEvent
from shared.jobs import plan_job_id
from shared.messages import jobs as job_messages
from shared.messages import slack as messages

KEY_PREFIX = "chatops:slack:approval-message:"

DEFAULT_KEEP_SECONDS = 24 * 3600
"""How long past its deadline a request's message stays editable."""

PLAN_SUFFIX = plan_job_id("")
"""What the id of a request's plan job ends with."""

log = logging.getLogger(__name__)


def message_key(approval_id: str) -> str:
    """The hash remembering where a request's message is."""
    return KEY_PREFIX + approval_id


@dataclasses.dataclass(frozen=True)
class PostedApproval:
    """Where a request's message is, and what it shows."""

    channel: str
    ts: str
    request: ApprovalRequest
    plan: str | None


class ApprovalPosts:
    """Posts approval requests and keeps their messages current."""

    def __init__(
        self,
        redis: Redis,
        *,
        keep_seconds: int = DEFAULT_KEEP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keep_seconds = keep_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def find(self, approval_id: str) -> PostedApproval | None:
        """Where the request's message is, or None if it was never posted (or is forgotten)."""
        fields = _decoded(cast("Mapping[Any, Any]", self._redis.hgetall(message_key(approval_id))))
        if "ts" not in fields or "request" not in fields:
            return None
        return PostedApproval(
            channel=fields["channel"],
            ts=fields["ts"],
            request=ApprovalRequest.from_json(json.loads(fields["request"])),
            plan=fields.get("plan") or None,
        )

    def post_request(
        self,
        client: WebClient,
        request: ApprovalRequest,
        *,
        text: str,
        channel: str,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Post the request with its buttons in its thread (with ``metadata``); returns the message's ts."""
        with self._lock:
            plan = self._stored_plan(request.approval_id)
            answer = client.chat_postMessage(
                channel=channel,
                thread_ts=request.thread_ts,
                text=text,
                blocks=approval_blocks(request, plan=plan),
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
            ts = str(answer["ts"])
            self._save(request, channel=channel, ts=ts)
            self._share_plan_file(client, request, channel=channel)
        return ts

    def _share_plan_file(self, client: WebClient, request: ApprovalRequest, *, channel: str) -> None:
        """Share the whole plan under the request, when it was too long for the message."""
        key = message_key(request.approval_id)
        name, content = (self._redis.hget(key, field) for field in ("file_name", "file"))
        if name is None or content is None:
            return
        self._redis.hdel(key, "file_name", "file")
        filename = _text(name)
        if not upload_to_thread(
            client,
            channel=channel,
            thread_ts=request.thread_ts,
            filename=filename,
            content=_text(content),
            comment=job_messages.whole_list_attached(name=filename),
        ):
            log.warning("approval %s: could not share %s", request.approval_id, filename)

    def show_decision(self, client: WebClient, request: ApprovalRequest) -> bool:
        """Replace the buttons of a decided request's message; False when there is nothing to edit."""
        return self._show(client, request)

    def show_progress(self, client: WebClient, request: ApprovalRequest) -> bool:
        """Show who approved a request that needs more approvals; False when the message shows it already."""
        return self._show(client, request)

    def _show(self, client: WebClient, request: ApprovalRequest) -> bool:
        with self._lock:
            posted = self.find(request.approval_id)
            if posted is None or _shown(posted.request, request):
                return False
            self._save(request)
            return self._update(client, dataclasses.replace(posted, request=request))

    def show_plans(self, client: WebClient, events: Iterable[JobEvent]) -> None:
        """Fill in the plan of each request whose plan job reported one among ``events``.

        A plan too long for the message (:mod:`shared.fit`) also brings its whole text as a file,
        kept until the request is posted and then shared under it.
        """
        for event in events:
            if event.kind is EventKind.PLAN and event.job_id.endswith(PLAN_SUFFIX):
                job_id = event.job_id.removesuffix(PLAN_SUFFIX)
                approval_id = approval_id_for(job_id=job_id)
                found = attached(event.details)
                if found is not None:
                    self._redis.hset(
                        message_key(approval_id), mapping={"file_name": found[0], "file": found[1]}
                    )
                self.show_plan(client, approval_id=approval_id, plan=event.text)

    def show_plan(self, client: WebClient, *, approval_id: str, plan: str) -> bool:
        """Show ``plan`` in the request's message (kept for it if the message is not posted yet)."""
        with self._lock:
            key = message_key(approval_id)
            self._redis.hset(key, "plan", plan)
            posted = self.find(approval_id)
            if posted is None:
                self._redis.expire(key, self._keep_seconds)
                return False
            return self._update(client, posted)

    def _stored_plan(self, approval_id: str) -> str | None:
        raw = self._redis.hget(message_key(approval_id), "plan")
        return None if raw is None else _text(raw)

    def _save(self, request: ApprovalRequest, *, channel: str | None = None, ts: str | None = None) -> None:
        key = message_key(request.approval_id)
        fields = {"request": json.dumps(request.to_json())}
        if channel is not None and ts is not None:
            fields |= {"channel": channel, "ts": ts}
        ttl = max(int(request.expires_at - self._clock()), 0) + self._keep_seconds
        with self._redis.pipeline() as pipe:
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]  # redis-py's mapping type is invariant
            pipe.expire(key, ttl)
            pipe.execute()

    def _update(self, client: WebClient, posted: PostedApproval) -> bool:
        request = posted.request
        if request.state.is_open:
            text = approval_fallback(approval_view(request, plan=posted.plan))
        else:
            at = request.decided_at if request.decided_at is not None else request.expires_at
            text = messages.approval_decided(
                decision=request.state.value, by=request.decided_by, at=at, reason=request.reason
            )
        try:
            client.chat_update(
                channel=posted.channel,
                ts=posted.ts,
                text=text,
                blocks=approval_blocks(request, plan=posted.plan),
            )
        except SlackApiError as error:
            log.warning(
                "approval %s: cannot edit its message (%s)", request.approval_id, error.response.get("error")
            )
            return False
        return True


def _shown(shown: ApprovalRequest, now: ApprovalRequest) -> bool:
    """True when the message showing ``shown`` already says what ``now`` would (votes only grow)."""
    return shown.state is now.state and len(shown.votes) >= len(now.votes)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decoded(fields: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {_text(name): _text(value) for name, value in fields.items()}
