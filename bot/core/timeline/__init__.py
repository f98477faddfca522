"""The incident timeline as values: entries, the keyed hash chain that makes them tamper-evident, exports.

A postmortem is written from the timeline, so it records everything done through the bot (commands,
plans, approval requests and answers, job start, progress and result, errors and notes) as
:class:`Entry` values, each with its time, actor, place (channel, thread, cluster, target) and the
ids that tie it to a job, an approval and an incident.

The modules, each named for what it holds:

* :mod:`~bot.core.timeline.entries`: what is recorded (:class:`EntryKind`, :class:`Entry`) and the
  entries for approvals and job events;
* :mod:`~bot.core.timeline.chain`: the HMAC chain (:func:`link`) and its verification (:func:`verify_chain`);
* :mod:`~bot.core.timeline.stored`: incidents, scopes, pages and append results of the store;
* :mod:`~bot.core.timeline.exports`: the chat page and the Markdown and JSON exports.

Pure: :mod:`bot.timeline_store` keeps the chain in Redis Streams.
"""

from bot.core.timeline.chain import (
    GENESIS_HASH,
    ChainedEntry,
    ChainHead,
    ChainReport,
    canonical_body,
    chain_hash,
    link,
    verify_chain,
)
from bot.core.timeline.entries import (
    Entry,
    EntryKind,
    approval_answer_entry,
    approval_request_entry,
    job_event_entry,
)
from bot.core.timeline.exports import (
    Operation,
    TimelineExport,
    export_json,
    export_markdown,
    in_time_order,
    operations,
    render_page,
)
from bot.core.timeline.stored import Appended, Incident, Page, Scope

__all__ = [
    "GENESIS_HASH",
    "Appended",
    "ChainHead",
    "ChainReport",
    "ChainedEntry",
    "Entry",
    "EntryKind",
    "Incident",
    "Operation",
    "Page",
    "Scope",
    "TimelineExport",
    "approval_answer_entry",
    "approval_request_entry",
    "canonical_body",
    "chain_hash",
    "export_json",
    "export_markdown",
    "in_time_order",
    "job_event_entry",
    "link",
    "operations",
    "render_page",
    "verify_chain",
]
