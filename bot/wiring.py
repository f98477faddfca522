"""Putting the engine together on one Redis: the job queue, approvals and the timeline.

Every adapter (console, Slack, tests) builds its engine here, so they all run the same parts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import IMPLEMENTED, Engine
from bot.core.job_signing import JobSigner
from bot.core.page_links import PageLinks
from bot.core.policy import Policy
from bot.core.ports import Observer
from bot.dispatch import RQDispatcher
from bot.page_link_store import RedisLinkGenerations
from bot.settings import Settings
from bot.timeline_store import TimelineStore


def build_engine(
    *,
    policy: Policy,
    connection: Redis,
    cluster: str,
    implemented: frozenset[str] = IMPLEMENTED,
    clock: Callable[[], float] = time.time,
    observer: Observer | None = None,
    links: PageLinks | None = None,
    job_key: bytes | None = None,
) -> Engine:
    """The conversation engine with its RQ queue, approval store and timeline on ``connection``.

    ``clock`` drives approval deadlines and timeline times; tests pass one they can move. ``observer``
    counts commands and approval decisions (:class:`bot.observability.PrometheusObserver` in the bot).
    ``job_key`` signs the jobs queued (``CHATOPS_JOB_KEY``); without one they go unsigned, and only a
    plain RQ worker (a test's) runs them: every ``chatops worker`` refuses them.
    """
    return Engine(
        policy=policy,
        jobs=RQDispatcher(connection, signer=JobSigner(job_key) if job_key else None, clock=clock),
        approvals=ApprovalStore(connection, clock=clock),
        timeline=TimelineStore(connection, clock=clock),
        default_cluster=cluster,
        implemented=implemented,
        observer=observer,
        links=links,
    )


def page_links(settings: Settings, *, connection: Redis) -> PageLinks | None:
    """Links to incident pages as the settings configure them; None without ``CHATOPS_PAGE_KEY``."""
    if not settings.page_key:
        return None
    return PageLinks(
        key=settings.page_key.value.encode(),
        base_url=settings.page_url or f"http://localhost:{settings.port}",
        generations=RedisLinkGenerations(connection),
        seconds=settings.page_link_seconds,
    )
