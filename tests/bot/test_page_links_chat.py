"""``timeline --link`` and ``--revoke-links`` as people type them: answered to the asker alone."""

from __future__ import annotations

import fakeredis
from redis import Redis

from bot.core.conversation import Engine, Message, Reply
from bot.core.page_links import PageLinks
from bot.core.policy_file import demo_policy
from bot.page_link_store import RedisLinkGenerations
from bot.wiring import build_engine
from shared.messages import timeline as timeline_messages

ALICE, DAVE = "U_ALICE", "U_DAVE"


def engine_with(connection: Redis, *, links: bool = True) -> Engine:
    pages = PageLinks(key=b"k", base_url="https://ops.example", generations=RedisLinkGenerations(connection))
    return build_engine(
        policy=demo_policy(), connection=connection, cluster="default", links=pages if links else None
    )


def say(engine: Engine, text: str, *, ts: str, user: str = ALICE, channel: str = "C_OPS") -> list[Reply]:
    return engine.handle(Message(user=user, channel=channel, ts=ts, text=text))


def test_a_link_is_given_only_to_the_asker_and_revoking_stops_it() -> None:
    connection = fakeredis.FakeRedis()
    engine = engine_with(connection)
    say(engine, "incident open checkout errors", ts="1700000000.000001")
    [link] = say(engine, "timeline --link", ts="1700000001.000001", user=DAVE)
    assert link.ephemeral and "https://ops.example/incidents/" in link.text
    token = link.text.split("/incidents/", 1)[1].split()[0]
    generations = RedisLinkGenerations(connection)
    pages = PageLinks(key=b"k", base_url="https://ops.example", generations=generations)
    assert pages.check(token, now=1700000002.0) == "inc-1"
    [revoked] = say(engine, "timeline inc-1 --revoke-links", ts="1700000003.000001")
    assert revoked.ephemeral and revoked.text == timeline_messages.page_links_revoked(incident_id="inc-1")
    assert pages.check(token, now=1700000004.0) is None


def test_links_need_an_incident_a_key_and_the_incidents_own_channel() -> None:
    connection = fakeredis.FakeRedis()
    engine = engine_with(connection)
    [outside] = say(engine, "timeline --link", ts="1.1")
    assert outside.text == timeline_messages.page_links_need_incident()
    say(engine, "incident open checkout errors", ts="1.2")
    [elsewhere] = say(engine, "timeline inc-1 --link", ts="1.3", channel="C_OTHER")
    assert elsewhere.ephemeral and "https://" not in elsewhere.text
    [off] = say(engine_with(connection, links=False), "timeline --link", ts="1.4")
    assert off.ephemeral and off.text == timeline_messages.page_links_off()
