"""Prometheus metrics of the Slack app, in a registry of its own (one per app, so tests can build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class SlackMetrics:
    """Counters and timings served at ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chatops_slack_requests",
            "HTTP requests to /slack/events, by response status.",
            ["status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "chatops_slack_request_seconds",
            "Time to answer Slack on /slack/events.",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.deliveries = Counter(
            "chatops_slack_deliveries",
            "Commands and answers received, by route and outcome (handled, duplicate, failed).",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.card_calls = Counter(
            "chatops_slack_card_calls",
            "Slack Web API calls made for job cards, by method.",
            ["method"],
            registry=self.registry,
        )
        self.card_retries = Counter(
            "chatops_slack_card_retries",
            "Job card calls put off because Slack refused them for now (rate limits, outages).",
            registry=self.registry,
        )
