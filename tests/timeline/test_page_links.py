"""Links to incident pages: signed, expiring, bound to one incident, revocable, and silent about why not."""

from __future__ import annotations

import fakeredis

from bot.core.page_links import LinkClaim, PageLinks, read_token, sign_token
from bot.page_link_store import RedisLinkGenerations

KEY = b"page-key-for-tests"
NOW = 1_800_000_000.0


def links(seconds: int = 3600) -> PageLinks:
    generations = RedisLinkGenerations(fakeredis.FakeRedis())
    return PageLinks(
        key=KEY, base_url="https://chatops.example.com/", generations=generations, seconds=seconds
    )


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_signed_token_reads_back_as_its_claim() -> None:
    claim = LinkClaim(incident_id="inc-7", generation=2, expires_at=int(NOW) + 60)
    assert read_token(sign_token(claim, key=KEY), key=KEY, now=NOW) == claim


def test_a_link_opens_its_incident_until_it_expires() -> None:
    pages = links(seconds=3600)
    url, expires_at = pages.url("inc-7", now=NOW)
    assert url.startswith("https://chatops.example.com/incidents/")
    assert expires_at == int(NOW) + 3600
    assert pages.check(token_of(url), now=NOW + 3599) == "inc-7"
    assert pages.check(token_of(url), now=NOW + 3600) is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    claim = LinkClaim(incident_id="inc-7", generation=0, expires_at=int(NOW) + 60)
    assert read_token(sign_token(claim, key=b"another key"), key=KEY, now=NOW) is None
    assert read_token(sign_token(claim, key=KEY), key=b"", now=NOW) is None


def test_changing_any_character_of_a_token_breaks_it() -> None:
    token = sign_token(LinkClaim(incident_id="inc-7", generation=0, expires_at=int(NOW) + 60), key=KEY)
    for position, char in enumerate(token):
        for replacement in {"A", "b", "-", "_", "!"} - {char}:
            tampered = token[:position] + replacement + token[position + 1 :]
            assert read_token(tampered, key=KEY, now=NOW) is None, tampered


def test_a_payload_naming_another_incident_or_a_later_expiry_does_not_verify() -> None:
    token = sign_token(LinkClaim(incident_id="inc-7", generation=0, expires_at=int(NOW) + 60), key=KEY)
    _, mac = token.split(".")
    forged = sign_token(LinkClaim(incident_id="inc-8", generation=0, expires_at=int(NOW) + 9999), key=KEY)
    assert read_token(forged.split(".")[0] + "." + mac, key=KEY, now=NOW) is None


def test_malformed_tokens_are_refused_without_raising() -> None:
    for token in ("", ".", "abc", "a.b.c", "%%%.%%%", "é.é", "x" * 600, "aW5jLTc.", ".aW5jLTc"):
        assert read_token(token, key=KEY, now=NOW) is None


def test_revoking_stops_every_link_given_so_far_and_new_links_work() -> None:
    pages = links()
    first, _ = pages.url("inc-7", now=NOW)
    other, _ = pages.url("inc-8", now=NOW)
    pages.generations.revoke("inc-7")
    assert pages.check(token_of(first), now=NOW) is None
    assert pages.check(token_of(other), now=NOW) == "inc-8"
    fresh, _ = pages.url("inc-7", now=NOW)
    assert pages.check(token_of(fresh), now=NOW) == "inc-7"
