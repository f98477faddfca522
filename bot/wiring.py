"""Putting the engine together on one Redis: the job queue, approvals and the timeline.

Every adapter (console, Slack, tests) builds its engine here, so they all run the same parts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from bot.approval_store import ApprovalStore
from bot.core.conversation import IMPLEMENTED, Engine
from bot.core.limits import Gate, LimitObserver, Limits
from bot.core.page_links import PageLinks
from bot.core.policy import Policy
from bot.core.ports import Observer
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.dispatch import RQDispatcher
from bot.events import CLAIM_AFTER_MS
from bot.freeze_store import RedisFreezes
from bot.page_link_store import RedisLinkGenerations
from bot.rate_store import RedisRateCounter
from bot.settings import Settings
from bot.timeline_recorder import DEFAULT_RETRY_SECONDS, RecorderObserver, TimelineRecorder
from bot.timeline_store import Retention, TimelineStore
from shared.job_signing import JobSigner
from shared.jobs import REMEMBER_SECONDS


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
    limits: Limits | None = None,
    queued_ttl: int | None = None,
    result_ttl: int = REMEMBER_SECONDS,
    retention: Retention | None = None,
    timeline_key: bytes = DEMO_CHAIN_KEY,
) -> Engine:
    """The conversation engine with its RQ queue, approval store and timeline on ``connection``.

    ``clock`` drives approval deadlines and timeline times; tests pass one they can move. ``observer``
    counts commands and approval decisions (:class:`bot.observability.PrometheusObserver` in the bot).
    ``job_key`` signs the jobs queued (``CHATOPS_JOB_KEY``); without one they go unsigned, and only a
    plain RQ worker (a test's) runs them: every ``chatops worker`` refuses them. ``limits`` are the
    limits on every message (:mod:`bot.core.limits`); None applies none (tests of other things).
    ``queued_ttl`` and ``result_ttl`` are the jobs' lifetimes in seconds (see :class:`RQDispatcher`);
    ``retention`` how much of each timeline is kept (None: all of it). ``timeline_key`` keys the
    timeline's hash chain: :func:`timeline_key` of the settings (the demo key only for tests and the
    embedded console).
    """
    approvals = ApprovalStore(connection, clock=clock)
    gate = None
    if limits is not None:
        gate = Gate(
            limits,
            policy=policy,
            default_cluster=cluster,
            rates=RedisRateCounter(connection),
            approvals=approvals,
            observer=observer if isinstance(observer, LimitObserver) else None,
            clock=clock,
        ).check
    return Engine(
        policy=policy,
        jobs=RQDispatcher(
            connection,
            signer=JobSigner(job_key) if job_key else None,
            clock=clock,
            queued_ttl=queued_ttl,
            result_ttl=result_ttl,
        ),
        approvals=approvals,
        timeline=TimelineStore(connection, key=timeline_key, clock=clock, retention=retention),
        default_cluster=cluster,
        implemented=implemented,
        observer=observer,
        links=links,
        gate=gate,
        freezes=RedisFreezes(connection, clock=clock),
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


def production_engine(
    settings: Settings,
    *,
    policy: Policy,
    connection: Redis,
    job_key: bytes,
    observer: Observer | None = None,
    links: PageLinks | None = None,
) -> Engine:
    """The engine of ``chatops bot`` and the console: signing with ``job_key``, under the settings' limits
    and timeline key."""
    return build_engine(
        policy=policy,
        connection=connection,
        cluster=settings.cluster,
        observer=observer,
        links=links,
        job_key=job_key,
        limits=settings.limits,
        queued_ttl=settings.job_queued_seconds,
        result_ttl=settings.job_result_seconds,
        retention=timeline_retention(settings),
        timeline_key=timeline_key(settings),
    )


def timeline_retention(settings: Settings) -> Retention:
    """How much of each timeline is kept (``CHATOPS_TIMELINE_MAX_ENTRIES``, ``CHATOPS_TIMELINE_DAYS``)."""
    return Retention(max_len=settings.timeline_max_entries, max_age_seconds=settings.timeline_max_age_seconds)


def build_recorder(
    connection: Redis,
    *,
    consumer: str,
    timeline_key: bytes = DEMO_CHAIN_KEY,
    clock: Callable[[], float] = time.time,
    retry_seconds: float = DEFAULT_RETRY_SECONDS,
    claim_after_ms: int = CLAIM_AFTER_MS,
    observer: RecorderObserver | None = None,
    retention: Retention | None = None,
) -> TimelineRecorder:
    """The engine's timeline recorder: job events from the bus onto the timeline, under ``timeline_key``.

    Every process running an engine runs one (``consumer`` names it in the timeline's group);
    ``observer`` counts what it recorded and its failed tries.
    """
    return TimelineRecorder(
        connection,
        timeline=TimelineStore(connection, key=timeline_key, clock=clock, retention=retention),
        consumer=consumer,
        retry_seconds=retry_seconds,
        claim_after_ms=claim_after_ms,
        observer=observer,
    )


def timeline_key(settings: Settings) -> bytes:
    """The key of the timeline's hash chain: ``CHATOPS_TIMELINE_KEY``, else the public demo key.

    ``chatops bot`` refuses to start without the variable; the console warns and uses the demo key.
    """
    return settings.timeline_key.value.encode() if settings.timeline_key else DEMO_CHAIN_KEY
