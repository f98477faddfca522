"""Reading Prometheus text exposition the way a scraper does, into samples keyed by name and labels."""

from __future__ import annotations

import urllib.request

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, by sample name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> Samples:
    """GET ``url`` (a ``/metrics`` endpoint) and parse it."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return parse(response.read().decode())


def collect(registry: CollectorRegistry) -> Samples:
    """A registry's samples, through the same text a scrape would read."""
    return parse(generate_latest(registry).decode())


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The value of sample ``name`` with exactly ``labels``, or None when there is none."""
    return samples.get((name, frozenset(labels.items())))


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    """The values label ``label`` takes among the samples called ``name``."""
    return {dict(labels)[label] for sample, labels in samples if sample == name and label in dict(labels)}
