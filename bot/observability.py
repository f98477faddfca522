"""Prometheus metrics of the conversation: commands by verb and outcome, approvals and their wait, and
the timeline recorder's progress and failed tries.

:class:`PrometheusObserver` is the engine's :class:`~bot.core.ports.Observer` on a registry of its
own, so any surface (Slack, the console) can count what the engine decided and serve it; it also
counts the Slack Web API errors the bot meets. The workers count their jobs in
:mod:`workers.metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

APPROVAL_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0)
"""Seconds from an approval request to its decision: people answer in minutes, deadlines are hours."""


class PrometheusObserver(Collector):
    """Counts the engine's decisions in :attr:`registry` (its own, unless one is given).

    It is a collector too: register it in another registry to serve its metrics from there.
    """

    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.commands = Counter(
            "chatops_commands",
            "Chat commands handled, by verb, outcome (queued, denied, approval_requested…) and cluster.",
            ["verb", "outcome", "cluster"],
            registry=self.registry,
        )
        self.approvals = Counter(
            "chatops_approvals",
            "Approval requests decided, by outcome (approved, denied, cancelled, expired).",
            ["outcome"],
            registry=self.registry,
        )
        self.approval_seconds = Histogram(
            "chatops_approval_decision_seconds",
            "Time from an approval request to its decision.",
            ["outcome"],
            registry=self.registry,
            buckets=APPROVAL_BUCKETS,
        )
        self.limited_messages = Counter(
            "chatops_limited",
            "Messages refused by a limit (message_length, arguments, user_rate, channel_rate, cluster, "
            "pending_approvals).",
            ["limit"],
            registry=self.registry,
        )
        self.timeline_recorded = Counter(
            "chatops_timeline_events_recorded",
            "Job events the timeline recorder put on the timeline (or found already there) and acknowledged.",
            registry=self.registry,
        )
        self.timeline_failures = Counter(
            "chatops_timeline_append_failures",
            "Times the timeline recorder could not append or acknowledge; the events waited and were retried.",
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "chatops_slack_api_errors",
            "Slack Web API calls that Slack refused, by method and Slack's error code.",
            ["method", "error"],
            registry=self.registry,
        )

    def collect(self) -> Iterable[Metric]:
        """The metrics of :attr:`registry`."""
        return self.registry.collect()

    def command(self, *, verb: str, outcome: str, cluster: str) -> None:
        """Count one handled command."""
        self.commands.labels(verb=verb, outcome=outcome, cluster=cluster).inc()

    def approval_decided(self, *, outcome: str, seconds: float) -> None:
        """Count one decided approval request and how long it waited."""
        self.approvals.labels(outcome=outcome).inc()
        self.approval_seconds.labels(outcome=outcome).observe(seconds)

    def limited(self, *, limit: str) -> None:
        """Count one message refused by ``limit``."""
        self.limited_messages.labels(limit=limit).inc()

    def events_recorded(self, count: int) -> None:
        """Count ``count`` job events on the timeline and acknowledged."""
        self.timeline_recorded.inc(count)

    def append_failed(self) -> None:
        """Count one failed try of the timeline recorder (the store or the acknowledgement failed)."""
        self.timeline_failures.inc()

    def slack_api_error(self, *, method: str, error: str) -> None:
        """Count one Slack Web API call that failed (``error`` is Slack's code, e.g. ``channel_not_found``)."""
        self.slack_api_errors.labels(method=method, error=error or "unknown").inc()
