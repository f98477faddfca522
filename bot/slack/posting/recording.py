"""Job events read for the cards are also shown in approval requests and pushed to App Home tabs.

Whatever else of the Slack side must see the events the cards read hangs off their reads:
:class:`RecordingSource` wraps an :class:`~bot.slack.posting.cards.EventSource` and hands every batch it
reads to its sinks (the plans of approval requests, the Home pushes) before the cards get it. A
failing sink is logged and the cards still get the events. These are views, redrawn from later
events; the permanent record does not hang off them: the timeline reads the same stream in its own
consumer group (:mod:`bot.timeline_recorder`) and acknowledges an event only once it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.slack.posting.cards import EventSource
from shared.jobevents import JobEvent

Sink = Callable[[list[JobEvent]], None]

log = logging.getLogger(__name__)


class RecordingSource:
    """An event source that shows every batch it reads to ``sinks`` first."""

    def __init__(self, source: EventSource, *, sinks: Sequence[Sink]) -> None:
        self._source = source
        self._sinks = tuple(sinks)

    def read(self, *, block_ms: int | None = None, count: int = 100) -> list[JobEvent]:
        """New events from the wrapped source, after every sink has seen them."""
        events = self._source.read(block_ms=block_ms, count=count)
        if events:
            for sink in self._sinks:
                try:
                    sink(events)
                except Exception:  # keep the cards going; the sink logs what it lost
                    log.exception("job events: a sink failed on %d event(s)", len(events))
        return events
