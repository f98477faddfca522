"""The incident page's HTML: what it shows, in time order, with everything escaped and nothing secret."""

from __future__ import annotations

import re
from typing import Any

from bot.core.timeline import ChainHead, Entry, EntryKind, Incident, TimelineExport, link, verify_chain
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.web.app import render_incident
from bot.web.view import incident_view, plain

T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
SECRET = "xoxb-1234-very-secret-token"
INCIDENT = Incident(
    incident_id="inc-7", title="API &lt;b&gt;latency&lt;/b&gt;", channel="C1", opened_by="U0ALICE", opened_at=T0,
    closed_by="U0BOB", closed_at=T0 + 3600,
)  # fmt: skip
NAMES = {"U0ALICE": "alice", "U0BOB": "bob", "U0DAVE": "dave"}


def entries() -> list[Entry]:
    """An incident with a drain approved and run (with progress), a note and a hostile summary."""
    common: dict[str, Any] = {"channel": "C1", "incident_id": "inc-7", "cluster": "prod"}
    return [
        Entry(at=T0, actor="U0ALICE", kind=EntryKind.INCIDENT_OPENED, summary="Incident opened", **common),
        Entry(at=T0 + 60, actor="U0DAVE", kind=EntryKind.COMMAND, summary="drain node/n1", job_id="job-a",
              **common),
        Entry(at=T0 + 62, actor="worker", kind=EntryKind.PLAN, summary="would evict 3 pods", job_id="job-a",
              details={"witnesses": {"token": SECRET}}, **common),
        Entry(at=T0 + 63, actor="U0DAVE", kind=EntryKind.APPROVAL_REQUESTED, job_id="job-a",
              approval_id="apr-a", summary="drain node/n1 awaits 1 approval from <@U0BOB>", **common),
        Entry(at=T0 + 90, actor="U0BOB", kind=EntryKind.APPROVAL_DECIDED, summary="drain node/n1 approved",
              job_id="job-a", approval_id="apr-a", details={"state": "approved"}, **common),
        Entry(at=T0 + 100, actor="worker", kind=EntryKind.JOB_STARTED, summary="drain started", job_id="job-a",
              **common),
        Entry(at=T0 + 110, actor="worker", kind=EntryKind.JOB_PROGRESS, summary="evicted pod web-1",
              job_id="job-a", **common),
        Entry(at=T0 + 160, actor="worker", kind=EntryKind.JOB_SUCCEEDED, summary="drained", job_id="job-a",
              **common),
        Entry(at=T0 + 30, actor="U0BOB", kind=EntryKind.NOTE,
              summary="&lt;script&gt;alert(1)&lt;/script&gt; see <https://status.example.com|status> &amp; ask <@U0ALICE>",
              **common),
    ]  # fmt: skip


def export_of(items: list[Entry]) -> TimelineExport:
    chained = []
    head: ChainHead | None = None
    for entry in items:
        linked = link(key=DEMO_CHAIN_KEY, entry=entry, head=head)
        chained.append(linked)
        head = ChainHead(seq=linked.seq, hash=linked.hash)
    return TimelineExport(
        scope="incident inc-7",
        entries=chained,
        report=verify_chain(key=DEMO_CHAIN_KEY, entries=chained, head=head),
        incident=INCIDENT,
    )


def render(items: list[Entry] | None = None) -> str:
    export = export_of(entries() if items is None else items)
    return render_incident(
        export, now=T0 + 4000, names=lambda user: NAMES.get(user, user), base="/incidents/t", nonce="n0nce"
    )


def test_slack_markup_becomes_plain_text_with_names() -> None:
    names = NAMES.get
    text = "ask <@U0ALICE> in <#C1|ops>, see <https://x.example|the board> `inc-7` &lt;b&gt; &amp; **done**"
    assert plain(text, names=lambda user: names(user, user)) == (
        "ask @alice in #ops, see the board inc-7 <b> & done"
    )


def test_the_page_shows_title_state_duration_and_the_chain_verdict() -> None:
    html = render()
    assert "<h1>Incident inc-7: API &lt;b&gt;latency&lt;/b&gt;</h1>" in html
    assert '<dd id="state">closed</dd>' in html
    assert "<dd>1h 00m</dd>" in html
    assert "Hash chain verified: 9 entries, none altered or removed." in html


def test_entries_are_in_time_order_with_actors_by_name_and_progress_collapsed_into_its_job() -> None:
    html = render()
    timeline = html.split('<h2 id="timeline">', 1)[1]
    seqs = [int(seq) for seq in re.findall(r'class="entry [^"]*" data-seq="(\d+)"', timeline)]
    assert seqs == [1, 9, 2, 3, 4, 5, 6, 8]  # the note was written at +30 s; progress (#7) is under its job
    assert "@dave · command" in timeline
    assert "evicted pod web-1" not in timeline
    operations = html.split('<h2 id="operations">', 1)[1].split("<h2", 1)[0]
    assert "drain node/n1" in operations and "job succeeded" in operations and "1m 00s" in operations
    assert "08:01:50 evicted pod web-1" in operations


def test_approvals_show_who_asked_who_decided_and_how_long_it_took() -> None:
    approvals = render().split('<h2 id="approvals">', 1)[1].split("<h2", 1)[0]
    assert "awaits 1 approval from @bob" in approvals
    assert (
        "Asked by @dave at 2027-01-15 08:01:03 UTC; approved by @bob at 2027-01-15 08:01:30 UTC after 27s."
        in (" ".join(approvals.split()))
    )


def test_everything_is_escaped_and_no_details_or_secrets_reach_the_page() -> None:
    html = render()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; see status &amp; ask @alice" in html
    assert SECRET not in html and "witnesses" not in html
    assert "<@" not in html


def test_a_broken_chain_is_shown_as_such() -> None:
    export = export_of(entries())
    altered = list(export.entries)
    altered[2] = type(altered[2])(
        seq=altered[2].seq,
        body=altered[2].body.replace("3 pods", "0 pods"),
        prev_hash=altered[2].prev_hash,
        hash=altered[2].hash,
    )
    report = verify_chain(
        key=DEMO_CHAIN_KEY, entries=altered, head=ChainHead(seq=altered[-1].seq, hash=altered[-1].hash)
    )
    view = incident_view(
        TimelineExport(scope="x", entries=altered, report=report, incident=INCIDENT), now=T0 + 4000
    )
    assert not view.chain_ok
    assert view.chain == "Hash chain NOT verified, it breaks at entry #3: altered entries #3."


def test_an_open_incident_gets_the_live_script_and_a_closed_one_none() -> None:
    import dataclasses

    closed = render()
    assert "<script" not in closed
    export = export_of(entries())
    still_open = dataclasses.replace(INCIDENT, closed_at=None, closed_by=None)
    html = render_incident(
        dataclasses.replace(export, incident=still_open), now=T0 + 600, names=str, base="/i/t", nonce="n0nce"
    )
    assert '<script nonce="n0nce">' in html and "EventSource" in html
    assert "10m 00s so far" in html


def test_the_template_holds_markup_only_every_word_comes_from_the_messages() -> None:
    """Headings, labels and sentences live in shared/messages/incident_page.py, none in the HTML."""
    from pathlib import Path

    import bot.web

    template = (Path(bot.web.__file__).parent / "templates" / "incident.html").read_text()
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", template, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", " ", text, flags=re.S)
    words = re.findall(r"[A-Za-z]{2,}", text)
    assert words == [], words
