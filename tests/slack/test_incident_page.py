"""The incident page over HTTP on the real app: a link from ``timeline --link`` opens it; nothing else does."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import pytest
from redis import Redis

from bot.core.page_links import LinkClaim, sign_token
from bot.core.timeline import export_json, export_markdown
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import TimelineStore
from tests.slack.conftest import ALICE, DAVE
from tests.slack.fake_slack import FakeSlack
from tests.slack.page_bot import PAGE_KEY, PageBot, get, page_bot

pytestmark = pytest.mark.redis


@pytest.fixture(name="pages")
def fixture_pages(fake_slack: FakeSlack, connection: Redis) -> Iterator[PageBot]:
    with page_bot(fake_slack, connection) as running:
        yield running


def open_incident(pages: PageBot, connection: Redis) -> str:
    """Open an incident in C_OPS with a note; its id."""
    pages.say("incident open checkout is down", user=ALICE)
    timeline = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    deadline = time.monotonic() + 10
    while (incident := timeline.open_incident_in("C_OPS")) is None:
        assert time.monotonic() < deadline, "the incident was not opened"
        time.sleep(0.02)
    pages.say("note rolled back the canary", user=ALICE)
    return incident.incident_id


def test_the_link_opens_the_page_of_the_incident(pages: PageBot, connection: Redis) -> None:
    open_incident(pages, connection)
    url = pages.ask_for_link(user=DAVE)
    status, body, headers = get(url)
    assert status == 200
    html = body.decode()
    assert "checkout is down" in html and "rolled back the canary" in html
    assert "Hash chain verified" in html
    assert "@u_alice · note" in html  # people by the name users.info gives, not by id
    assert PAGE_KEY not in html and "xoxb-" not in html
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"


def test_the_downloads_are_the_timeline_exports(pages: PageBot, connection: Redis) -> None:
    incident_id = open_incident(pages, connection)
    url = pages.ask_for_link(user=ALICE)
    timeline = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    scope = timeline.scope(channel="C_OPS", incident_id=incident_id)
    assert scope is not None
    export = timeline.export(scope)
    status, markdown, headers = get(url + "/export.md")
    assert status == 200 and markdown.decode() == export_markdown(export)
    assert headers["content-disposition"] == f'attachment; filename="{incident_id}.md"'
    status, document, _ = get(url + "/export.json")
    assert status == 200 and document.decode() == export_json(export)


def test_bad_tampered_expired_and_unknown_links_get_the_same_404(pages: PageBot, connection: Redis) -> None:
    incident_id = open_incident(pages, connection)
    url = pages.ask_for_link(user=ALICE)
    base = url.rsplit("/", 1)[0]
    key = PAGE_KEY.encode()
    expired = sign_token(
        LinkClaim(incident_id=incident_id, generation=0, expires_at=int(time.time()) - 1), key=key
    )
    unknown = sign_token(
        LinkClaim(incident_id="inc-999", generation=0, expires_at=int(time.time()) + 60), key=key
    )
    forged = sign_token(LinkClaim(incident_id=incident_id, generation=0, expires_at=2**40), key=b"guessed")
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    answers = [
        get(address)
        for address in (
            tampered,
            f"{base}/{expired}",
            f"{base}/{unknown}",
            f"{base}/{forged}",
            f"{base}/nonsense",
            f"{base}/{expired}/export.md",
            f"{base}/{unknown}/events",
        )
    ]
    assert {status for status, _, _ in answers} == {404}
    assert len({body for _, body, _ in answers}) == 1


def test_revoking_stops_the_links_given_so_far(pages: PageBot, connection: Redis) -> None:
    open_incident(pages, connection)
    url = pages.ask_for_link(user=ALICE)
    assert get(url)[0] == 200
    before = len(pages.fake.calls("chat.postEphemeral"))
    pages.say("timeline --revoke-links", user=ALICE)
    pages.fake.wait_for("chat.postEphemeral", count=before + 1)
    assert get(url)[0] == 404
    assert get(url + "/export.json")[0] == 404
    assert get(pages.ask_for_link(user=ALICE))[0] == 200


def test_the_event_stream_says_when_the_open_incident_grows(pages: PageBot, connection: Redis) -> None:
    open_incident(pages, connection)
    url = pages.ask_for_link(user=ALICE)
    html = get(url)[1].decode()
    seq = html.split('data-seq="', 1)[1].split('"', 1)[0]
    with urllib.request.urlopen(f"{url}/events?after={seq}", timeout=10) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.readline() == b"retry: 3000\n"
        pages.say("note the canary is healthy again", user=ALICE)
        blank, event_id, event, data = (stream.readline() for _ in range(4))
    assert (blank, event) == (b"\n", b"event: entries\n")
    grown = int(event_id.removeprefix(b"id: "))
    assert grown > int(seq) and data == f"data: {grown}\n".encode()
