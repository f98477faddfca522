"""Pages of ``timeline`` and ``jobs`` as values: which entries a page holds, and which pages neighbour it."""

from __future__ import annotations

import datetime as dt

from bot.core.pages import PageCursor, PageKind, jobs_page, timeline_page
from bot.core.timeline import ChainedEntry, ChainHead, Entry, EntryKind, link
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from shared.jobs import JobState, JobSummary


def chain(count: int) -> list[ChainedEntry]:
    """``count`` notes a second apart, newest first as the store reads them."""
    links: list[ChainedEntry] = []
    head: ChainHead | None = None
    for n in range(count):
        entry = Entry(at=1000.0 + n, actor="U_ALICE", kind=EntryKind.NOTE, summary=f"n{n}", channel="C1")
        chained = link(key=DEMO_CHAIN_KEY, entry=entry, head=head)
        head = ChainHead(seq=chained.seq, hash=chained.hash)
        links.append(chained)
    return links[::-1]


def test_the_first_page_is_the_newest_entries_in_the_order_they_happened() -> None:
    """Page 1 of 25: entries 15–24, oldest of them first, with an older page and no newer one."""
    page = timeline_page(chain(25), scope="C1", cursor=PageCursor(kind=PageKind.TIMELINE), has_older=False)
    assert [item.what.split(": ")[-1] for item in page.items] == [f"n{n}" for n in range(15, 25)]
    assert page.number == 1
    assert page.older == PageCursor(kind=PageKind.TIMELINE, offset=10)
    assert page.newer is None


def test_the_last_page_has_what_is_left_and_only_a_newer_page() -> None:
    """Page 3 of 25: five entries; the store says nothing is beyond them."""
    cursor = PageCursor(kind=PageKind.TIMELINE, offset=20, incident="INC-1")
    page = timeline_page(chain(25), scope="C1", cursor=cursor, has_older=False)
    assert len(page.items) == 5
    assert page.older is None
    assert page.newer == PageCursor(kind=PageKind.TIMELINE, offset=10, incident="INC-1")


def test_the_store_saying_older_entries_exist_keeps_the_older_page() -> None:
    """Exactly a page was read but the stream goes on: Older stays."""
    page = timeline_page(chain(10), scope="C1", cursor=PageCursor(kind=PageKind.TIMELINE), has_older=True)
    assert page.older is not None


def test_what_people_typed_is_escaped_on_the_page() -> None:
    """A summary trying to ping the channel shows harmlessly."""
    entry = Entry(at=1.0, actor="U_ALICE", kind=EntryKind.NOTE, summary="<!channel> hi", channel="C1")
    page = timeline_page(
        [link(key=DEMO_CHAIN_KEY, entry=entry, head=None)],
        scope="C1",
        cursor=PageCursor(kind=PageKind.TIMELINE),
        has_older=False,
    )
    assert "<!channel>" not in page.items[0].what


def test_jobs_pages_know_of_older_jobs_from_one_extra_read() -> None:
    """Eleven jobs read for page 1: ten shown, Older offered; page 2 shows the eleventh."""
    at = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    jobs = [
        JobSummary(
            job_id=f"job-{n}",
            description="cordon node/n1",
            status=JobState.QUEUED,
            enqueued_at=at,
            user="U_BOB",
        )
        for n in range(11)
    ]
    first = jobs_page(jobs, cluster="default", cursor=PageCursor(kind=PageKind.JOBS))
    assert len(first.items) == 10 and first.older is not None
    assert first.items[0].when == "12:00:00" and first.items[0].actor == "U_BOB"
    second = jobs_page(jobs, cluster="default", cursor=PageCursor(kind=PageKind.JOBS, offset=10))
    assert [item.what.split("`")[1] for item in second.items] == ["job-10"]
    assert second.older is None and second.number == 2
