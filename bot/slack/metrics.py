"""Prometheus metrics of the Slack app, each part in a registry of its own (so tests can build many).

:class:`FrontMetrics` belong to the HTTP front (requests answered, how fast, the inbox's depth);
:class:`SlackMetrics` to the runner that does the work (deliveries, job cards, the inbox's wait).
The front serves both at ``GET /metrics``: its own, then the runner's.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class FrontMetrics:
    """What the front measures: Slack's requests and the inbox they land in."""

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
        self.inbox_depth = Gauge(
            "chatops_slack_inbox_depth",
            "Deliveries acknowledged to Slack and not yet handled (read when scraped).",
            registry=self.registry,
        )


class SlackMetrics:
    """What the runner measures: the deliveries it handles and the Slack calls it makes for them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self.inbox_wait_seconds = Histogram(
            "chatops_slack_inbox_wait_seconds",
            "Time from Slack's delivery being acknowledged to its handling being done.",
            registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
        )
