"""The words of the incident page (``GET /incidents/TOKEN``) around the entries it shows.

The template holds markup only; every heading, label and sentence a reader sees comes from here, so
the page, the chat and the export speak with one voice and a wording change is made in one place.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PageWords:
    """Headings and labels of the page, in the order they appear."""

    state: str = "State"
    opened: str = "Opened"
    closed: str = "Closed"
    duration: str = "Duration"
    chain: str = "Chain"
    downloads: str = "Downloads"
    markdown: str = "Markdown"
    json: str = "JSON"
    operations: str = "Operations"
    approvals: str = "Approvals"
    notes: str = "Notes"
    timeline: str = "Timeline"
    nothing: str = "None."


WORDS = PageWords()
"""The page's words (one instance: the template reads ``words.operations`` and the like)."""


def approval_line(
    *, requested_by: str, requested_at: str, state: str, decided_by: str, decided_at: str, waited: str
) -> str:
    """Under an approval: who asked and when, and how it was decided (or that it still waits)."""
    asked = f"Asked by {requested_by} at {requested_at}; {state}"
    if not decided_by:
        return asked + "."
    return f"{asked} by {decided_by} at {decided_at} after {waited}."


def chart_label(*, started: str, ended: str) -> str:
    """What the bar of one operation says to a screen reader."""
    return f"{started} to {ended}"
