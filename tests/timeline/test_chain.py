"""The hash chain: it verifies when untouched and names what was altered or removed."""

from __future__ import annotations

import dataclasses

from bot.core.timeline import (
    GENESIS_HASH,
    ChainedEntry,
    ChainHead,
    Entry,
    EntryKind,
    chain_hash,
    link,
    verify_chain,
)

T0 = 1_800_000_000.0


def chain(length: int) -> list[ChainedEntry]:
    """``length`` linked notes, one second apart."""
    links: list[ChainedEntry] = []
    for index in range(length):
        entry = Entry(
            at=T0 + index, actor="U0ALICE", kind=EntryKind.NOTE, summary=f"note {index + 1}", channel="C1"
        )
        links.append(link(entry, head=None if not links else ChainHead(links[-1].seq, links[-1].hash)))
    return links


def head_of(links: list[ChainedEntry]) -> ChainHead:
    """The head the store records after appending ``links``."""
    return ChainHead(seq=links[-1].seq, hash=links[-1].hash)


def test_an_untouched_chain_verifies() -> None:
    """Five entries appended in order check out, starting from the genesis hash."""
    links = chain(5)
    report = verify_chain(links, head=head_of(links))
    assert report.ok
    assert (report.checked, report.first_seq, report.last_seq) == (5, 1, 5)
    assert links[0].prev_hash == GENESIS_HASH
    assert "verified" in report.sentence()


def test_each_hash_covers_the_previous_hash_and_the_entry() -> None:
    """The same entry after a different predecessor hashes differently."""
    first, second = chain(2)
    assert second.hash == chain_hash(first.hash, second.body)
    assert second.hash != chain_hash(GENESIS_HASH, second.body)


def test_an_altered_entry_is_named() -> None:
    """Changing the stored content of entry 2 breaks its own hash."""
    links = chain(4)
    links[1] = dataclasses.replace(links[1], body=links[1].body.replace("note 2", "nothing happened"))
    report = verify_chain(links, head=head_of(links))
    assert not report.ok
    assert report.altered == (2,)
    assert "#2" in report.sentence()


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    """Rewriting content and hash of entry 2 is caught at entry 3."""
    links = chain(4)
    body = links[1].body.replace("note 2", "nothing happened")
    links[1] = dataclasses.replace(links[1], body=body, hash=chain_hash(links[1].prev_hash, body))
    report = verify_chain(links, head=head_of(links))
    assert (report.altered, report.broken_links) == ((), (3,))


def test_a_removed_entry_is_named() -> None:
    """Deleting entry 3 of 5 leaves a gap the report names."""
    links = chain(5)
    head = head_of(links)
    del links[2]
    report = verify_chain(links, head=head)
    assert report.missing == ((3, 3),)
    assert not report.ok


def test_a_removed_tail_is_noticed_through_the_head() -> None:
    """Deleting the last two entries is caught by the recorded head."""
    links = chain(5)
    report = verify_chain(links[:3], head=head_of(links))
    assert report.missing == ((4, 5),)


def test_a_removed_start_is_tampering_unless_retention_trims() -> None:
    """Missing first entries are removals, or trimmed entries when a retention policy applies."""
    links = chain(5)
    assert verify_chain(links[2:], head=head_of(links)).missing == ((1, 2),)
    trimmed = verify_chain(links[2:], head=head_of(links), retention_applies=True)
    assert trimmed.ok
    assert trimmed.trimmed == 2
    assert "trimmed" in trimmed.sentence()


def test_an_empty_chain_with_a_head_lost_everything() -> None:
    """A stream emptied behind the store's back is reported."""
    assert verify_chain([], head=ChainHead(seq=3, hash="x")).missing == ((1, 3),)
    assert verify_chain([]).ok


def test_an_entry_survives_its_json_form_with_every_field() -> None:
    """The hashed JSON names every field of an entry and reads back as the same entry."""
    entry = Entry(
        at=T0, actor="U0ALICE", kind=EntryKind.JOB_FAILED, summary="quota exceeded", channel="C1",
        thread_ts="100.1", cluster="prod", target="deployment/web", job_id="job-1", approval_id="apr-1",
        incident_id="inc-1", details={"replicas": 3},
    )  # fmt: skip
    assert set(entry.to_json()) == {field.name for field in dataclasses.fields(Entry)}
    assert Entry.from_json(entry.to_json()) == entry


def test_an_unparsable_stored_entry_reads_as_an_error() -> None:
    """Content altered into invalid JSON still renders, and is flagged as altered."""
    (first,) = chain(1)
    broken = dataclasses.replace(first, body="{not json")
    assert broken.entry.kind is EntryKind.ERROR
    assert verify_chain([broken]).altered == (1,)
