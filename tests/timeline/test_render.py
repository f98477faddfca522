"""Reading the timeline: the chat page, the postmortem Markdown and the JSON export."""

from __future__ import annotations

import json
from typing import Any

from bot.core.timeline import (
    ChainedEntry,
    ChainHead,
    Entry,
    EntryKind,
    Incident,
    TimelineExport,
    export_json,
    export_markdown,
    link,
    operations,
    render_page,
    verify_chain,
)
from bot.core.timeline.chain import DEMO_CHAIN_KEY

T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
INCIDENT = Incident(
    incident_id="inc-7", title="API latency", channel="C1", opened_by="U0ALICE", opened_at=T0, closed_by="U0BOB",
    closed_at=T0 + 3600,
)  # fmt: skip


def entries() -> list[Entry]:
    """A small incident: a drain approved and run, a failed scale, and a note written early but pinned late."""
    common: dict[str, Any] = {"channel": "C1", "incident_id": "inc-7", "cluster": "prod"}
    return [
        Entry(at=T0, actor="U0ALICE", kind=EntryKind.INCIDENT_OPENED, summary="Incident opened: API latency", **common),
        Entry(at=T0 + 60, actor="U0DAVE", kind=EntryKind.COMMAND, summary="drain node/n1", job_id="job-a",
              target="node/n1", **common),
        Entry(at=T0 + 90, actor="U0BOB", kind=EntryKind.APPROVAL_DECIDED, summary="approved by U0BOB",
              job_id="job-a", approval_id="apr-a", **common),
        Entry(at=T0 + 100, actor="worker", kind=EntryKind.JOB_STARTED, summary="drain started", job_id="job-a",
              target="node/n1", **common),
        Entry(at=T0 + 100 + 187, actor="worker", kind=EntryKind.JOB_SUCCEEDED, summary="node/n1 drained",
              job_id="job-a", target="node/n1", details={"evicted": 12}, **common),
        Entry(at=T0 + 400, actor="worker", kind=EntryKind.JOB_STARTED, summary="scale started", job_id="job-b",
              target="deployment/web", **common),
        Entry(at=T0 + 405, actor="worker", kind=EntryKind.JOB_FAILED, summary="quota | exceeded",
              job_id="job-b", **common),
        Entry(at=T0 + 30, actor="U0CAROL", kind=EntryKind.NOTE, summary="p99 at 4s since 07:58", **common),
    ]  # fmt: skip


def chained(items: list[Entry]) -> list[ChainedEntry]:
    """Link ``items`` in the order given (append order)."""
    links: list[ChainedEntry] = []
    for entry in items:
        links.append(
            link(
                key=DEMO_CHAIN_KEY,
                entry=entry,
                head=None if not links else ChainHead(links[-1].seq, links[-1].hash),
            )
        )
    return links


def exported() -> TimelineExport:
    """The incident's export, verified."""
    links = chained(entries())
    return TimelineExport(
        scope="incident inc-7 (API latency)",
        entries=links,
        report=verify_chain(key=DEMO_CHAIN_KEY, entries=links),
        incident=INCIDENT,
    )


def test_operations_last_from_their_start_to_their_result() -> None:
    """Each job is measured from job_started to its result; results are kept."""
    found = {operation.job_id: operation for operation in operations(entries())}
    assert (found["job-a"].started_at, found["job-a"].duration) == (T0 + 100, 187)
    assert found["job-a"].result is EntryKind.JOB_SUCCEEDED
    assert (found["job-b"].duration, found["job-b"].result) == (5, EntryKind.JOB_FAILED)


def test_an_operation_is_named_by_the_command_that_asked_for_it() -> None:
    """The command's words label the job; without a command, its target."""
    found = {operation.job_id: operation for operation in operations(entries())}
    assert (found["job-a"].summary, found["job-b"].summary) == ("drain node/n1", "deployment/web")


def test_a_job_that_never_started_is_not_running() -> None:
    """A command awaiting (or refused) approval has no start: it is not run, not still running."""
    (operation,) = operations(entries()[1:3])
    assert (operation.started, operation.duration) == (False, None)
    assert "| job-a | drain node/n1 |" in export_markdown(
        TimelineExport(
            scope="s",
            entries=chained(entries()[1:3]),
            report=verify_chain(key=DEMO_CHAIN_KEY, entries=chained(entries()[1:3])),
        )
    )


def test_an_operation_without_result_is_still_running() -> None:
    """A started job with no result has no duration yet."""
    (operation,) = operations(entries()[3:4])
    assert (operation.ended_at, operation.duration) == (None, None)


def test_the_markdown_export_is_a_postmortem_timeline() -> None:
    """Title, incident span, verified chain, operations with durations, and entries in UTC time order."""
    text = export_markdown(exported())
    assert text.startswith("# Timeline of incident inc-7 (API latency)\n")
    assert (
        "Opened 2027-01-15 08:00:00 UTC by U0ALICE; closed 2027-01-15 09:00:00 UTC by U0BOB after 1h 00m."
        in text
    )
    assert "Hash chain verified: 8 entries" in text
    assert (
        "| job-a | drain node/n1 | 2027-01-15 08:01:40 UTC | 2027-01-15 08:04:47 UTC | 3m 07s | job succeeded |"
        in text
    )
    assert "| 5 | 2027-01-15 08:04:47 UTC | worker | job succeeded | node/n1 drained (took 3m 07s) |" in text
    assert "quota \\| exceeded (took 5.0s)" in text
    entry_rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [int(row.split(" | ")[0].removeprefix("| ")) for row in entry_rows] == [1, 8, 2, 3, 4, 5, 6, 7]


def test_a_note_keeps_its_original_time_in_the_export() -> None:
    """A note appended last but written at T0+30 is listed second, with its own time."""
    rows = [
        line
        for line in export_markdown(exported()).splitlines()
        if line.startswith("| ") and line[2].isdigit()
    ]
    assert rows[1].startswith("| 8 | 2027-01-15 08:00:30 UTC | U0CAROL | note | p99 at 4s since 07:58 |")


def test_the_markdown_export_says_when_the_chain_is_broken() -> None:
    """An export of a chain with a removed entry is marked as not verified."""
    links = chained(entries())
    head = ChainHead(links[-1].seq, links[-1].hash)
    del links[3]
    export = TimelineExport(
        scope="incident inc-7",
        entries=links,
        report=verify_chain(key=DEMO_CHAIN_KEY, entries=links, head=head),
    )
    assert "**Hash chain NOT verified**, it breaks at entry #4: removed entries #4." in export_markdown(
        export
    )


def test_the_json_export_carries_entries_hashes_operations_and_the_verdict() -> None:
    """Everything in the Markdown is in the JSON, plus the hashes to re-check it."""
    document = json.loads(export_json(exported()))
    assert document["verification"]["ok"] is True
    assert document["incident"]["incident_id"] == "inc-7"
    assert [entry["seq"] for entry in document["entries"]] == list(range(1, 9))
    assert document["entries"][4]["details"] == {"evicted": 12}
    assert document["entries"][1]["prev_hash"] == document["entries"][0]["hash"]
    assert {op["job_id"]: op["duration_seconds"] for op in document["operations"]} == {
        "job-a": 187,
        "job-b": 5,
    }


def test_the_chat_page_lists_entries_in_time_order_with_a_hint_for_older_ones() -> None:
    """The page shows times, people, kinds and job ids, and says where older entries start."""
    page = render_page(chained(entries())[-3:], scope="incident inc-7", older_before="1-0")
    lines = page.splitlines()
    assert lines[0] == "Latest 3 entries of incident inc-7 (times UTC):"
    assert lines[1] == "• 08:00:30 <@U0CAROL> note: p99 at 4s since 07:58"
    assert lines[2] == "• 08:06:40 `worker` job started `job-b`: scale started"
    assert "`1-0`" in lines[-1]
    assert render_page([], scope="incident inc-7", older_before=None) == "Nothing on incident inc-7 yet."
