"""The keyed hash chain: it verifies when untouched, names what was altered or removed and where it breaks."""

from __future__ import annotations

import dataclasses
import hashlib

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

KEY = b"the timeline key, kept outside Redis"


def chain(length: int, *, key: bytes = KEY) -> list[ChainedEntry]:
    """``length`` linked notes, one second apart, chained under ``key``."""
    links: list[ChainedEntry] = []
    for index in range(length):
        entry = Entry(
            at=T0 + index, actor="U0ALICE", kind=EntryKind.NOTE, summary=f"note {index + 1}", channel="C1"
        )
        head = None if not links else ChainHead(links[-1].seq, links[-1].hash)
        links.append(link(entry, head=head, key=key))
    return links


def head_of(links: list[ChainedEntry]) -> ChainHead:
    """The head the store records after appending ``links``."""
    return ChainHead(seq=links[-1].seq, hash=links[-1].hash)


def test_an_untouched_chain_verifies() -> None:
    """Five entries appended in order check out, starting from the genesis hash."""
    links = chain(5)
    report = verify_chain(links, head=head_of(links), key=KEY)
    assert report.ok
    assert (report.checked, report.first_seq, report.last_seq) == (5, 1, 5)
    assert links[0].prev_hash == GENESIS_HASH
    assert "verified" in report.sentence()


def test_each_hash_covers_the_previous_hash_and_the_entry() -> None:
    """The same entry after a different predecessor hashes differently."""
    first, second = chain(2)
    assert second.hash == chain_hash(first.hash, second.body, key=KEY)
    assert second.hash != chain_hash(GENESIS_HASH, second.body, key=KEY)


def test_an_altered_entry_is_named() -> None:
    """Changing the stored content of entry 2 breaks its own hash."""
    links = chain(4)
    links[1] = dataclasses.replace(links[1], body=links[1].body.replace("note 2", "nothing happened"))
    report = verify_chain(links, head=head_of(links), key=KEY)
    assert not report.ok
    assert report.altered == (2,)
    assert "#2" in report.sentence()


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    """Rewriting content and hash of entry 2, even with the key, is caught at entry 3."""
    links = chain(4)
    body = links[1].body.replace("note 2", "nothing happened")
    links[1] = dataclasses.replace(links[1], body=body, hash=chain_hash(links[1].prev_hash, body, key=KEY))
    report = verify_chain(links, head=head_of(links), key=KEY)
    assert (report.altered, report.broken_links) == ((), (3,))


def test_a_removed_entry_is_named() -> None:
    """Deleting entry 3 of 5 leaves a gap the report names."""
    links = chain(5)
    head = head_of(links)
    del links[2]
    report = verify_chain(links, head=head, key=KEY)
    assert report.missing == ((3, 3),)
    assert not report.ok


def test_a_removed_tail_is_noticed_through_the_head() -> None:
    """Deleting the last two entries is caught by the recorded head."""
    links = chain(5)
    report = verify_chain(links[:3], head=head_of(links), key=KEY)
    assert report.missing == ((4, 5),)


def test_a_removed_start_is_tampering_unless_retention_trims() -> None:
    """Missing first entries are removals, or trimmed entries when a retention policy applies."""
    links = chain(5)
    assert verify_chain(links[2:], head=head_of(links), key=KEY).missing == ((1, 2),)
    trimmed = verify_chain(links[2:], head=head_of(links), retention_applies=True, key=KEY)
    assert trimmed.ok
    assert trimmed.trimmed == 2
    assert "trimmed" in trimmed.sentence()


def test_an_empty_chain_with_a_head_lost_everything() -> None:
    """A stream emptied behind the store's back is reported."""
    assert verify_chain([], head=ChainHead(seq=3, hash="x"), key=KEY).missing == ((1, 3),)
    assert verify_chain([], key=KEY).ok


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
    assert verify_chain([broken], key=KEY).altered == (1,)


def rewritten_with_plain_sha256(links: list[ChainedEntry], *, seq: int) -> list[ChainedEntry]:
    """What someone who can write Redis but lacks the key does: rewrite entry ``seq`` and re-hash it and
    every later link with SHA-256, as the chain was hashed before it was keyed."""
    rewritten = links[: seq - 1]
    for current in links[seq - 1 :]:
        body = current.body.replace(f"note {seq}", "nothing happened")
        prev_hash = rewritten[-1].hash if rewritten else current.prev_hash
        digest = hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
        rewritten.append(dataclasses.replace(current, body=body, prev_hash=prev_hash, hash=digest))
    return rewritten


def test_a_rewrite_rehashed_with_plain_sha256_is_caught_where_it_starts() -> None:
    """Entry 3 of 6 rewritten, the rest of the chain and the head re-hashed consistently without the key:
    every re-hashed entry fails, and the verdict names entry 3 as where the chain breaks."""
    links = rewritten_with_plain_sha256(chain(6), seq=3)
    report = verify_chain(links, head=head_of(links), key=KEY)
    assert not report.ok
    assert report.altered == (3, 4, 5, 6)
    assert report.breaks_at == 3
    assert "it breaks at entry #3: altered entries #3–#6" in report.sentence()


def test_a_chain_made_under_another_key_does_not_verify() -> None:
    """A whole timeline forged under a key of the forger's choosing fails from its first entry."""
    forged = chain(3, key=b"a key the forger chose")
    report = verify_chain(forged, head=head_of(forged), key=KEY)
    assert (report.altered, report.breaks_at) == ((1, 2, 3), 1)
