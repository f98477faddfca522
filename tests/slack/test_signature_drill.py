"""Forged, tampered, stale, replayed and oversized requests to the real app: none of them runs anything.

Each request of the drill is drawn from the drill seed: a random signature, the right body signed with
another secret, a signed body with one byte changed or its timestamp moved, a correctly signed request
more than five minutes old or ahead, no signature at all, a signed body over the front's size limit,
or the one genuine mention of the drill sent again as it was (a replay inside the five minutes). The
forged kinds get 401, the oversized 413, the replays 200 and nothing more: at the end the genuine
mention was queued and answered exactly once, and Slack heard nothing else.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.ingress.server import ServerThread
from tests.slack.conftest import ALICE, MakeBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.signed import SECRET, SlackSender, event_body, post, signature
from tests.support.drill_trials import trial_count
from tests.support.drills import Family, Tally
from tests.support.ports import free_port

pytestmark = pytest.mark.redis

LIMIT = 8192
"""The front's body limit in this drill: small, so oversized requests are quick to send."""

STALE_SECONDS = 5 * 60
"""Slack's replay window: a request timestamped further from now than this is refused."""

JSON = "application/json"


@pytest.fixture(name="front")
def fixture_front(make_bot: MakeBot, fake_slack: FakeSlack) -> Iterator[SlackSender]:
    """The whole app, served over HTTP and working its inbox, with a body limit of :data:`LIMIT`."""
    bot = make_bot(settings={"slack_max_body_bytes": LIMIT})
    with ServerThread(bot.asgi, port=free_port()) as server:
        bot.start_background()
        try:
            yield SlackSender(server.url + EVENTS_PATH, response_url=fake_slack.response_url)
        finally:
            bot.stop_background()


Attack = Callable[[SlackSender, bytes, random.Random], tuple[int, bytes]]


def forged_signature(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """A random signature."""
    return post(
        front.events_url, body, content_type=JSON, forged_signature=f"v0={chance.getrandbits(256):064x}"
    )


def other_secret(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Signed, but with a secret that is not the app's."""
    return post(front.events_url, body, content_type=JSON, secret=f"guess-{chance.getrandbits(64):x}")


def tampered_body(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Signed, then one byte of the body changed."""
    now = int(time.time())
    at = chance.randrange(len(body))
    changed = body[:at] + bytes([body[at] ^ chance.randint(1, 255)]) + body[at + 1 :]
    sign = {"x-slack-signature": signature(body, secret=SECRET, timestamp=now)}
    return post(front.events_url, changed, content_type=JSON, timestamp=now, headers=sign)


def moved_timestamp(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Signed for one timestamp, sent with another a few seconds off."""
    now = int(time.time())
    sign = {"x-slack-signature": signature(body, secret=SECRET, timestamp=now)}
    return post(
        front.events_url,
        body,
        content_type=JSON,
        timestamp=now + chance.choice([-1, 1]) * chance.randint(1, 60),
        headers=sign,
    )


def stale(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Correctly signed, but timestamped more than five minutes ago or ahead."""
    offset = chance.randint(STALE_SECONDS + 2, 7 * 24 * 3600) * chance.choice([-1, 1])
    return post(front.events_url, body, content_type=JSON, timestamp=int(time.time()) + offset)


def unsigned(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Without the signature, the timestamp, or both."""
    headers = chance.choice(
        [
            ["x-slack-signature"],
            ["x-slack-request-timestamp"],
            ["x-slack-signature", "x-slack-request-timestamp"],
        ]
    )
    return post(front.events_url, body, content_type=JSON, without=headers)


def oversized(front: SlackSender, body: bytes, chance: random.Random) -> tuple[int, bytes]:
    """Correctly signed, and over the front's body limit."""
    padded = body[:-1] + b', "padding": "' + b"x" * chance.randint(LIMIT, 4 * LIMIT) + b'"}'
    return post(front.events_url, padded, content_type=JSON)


REFUSED: dict[Attack, int] = {
    forged_signature: 401,
    other_secret: 401,
    tampered_body: 401,
    moved_timestamp: 401,
    stale: 401,
    unsigned: 401,
    oversized: 413,
}


@pytest.mark.drill(Family.SIGNATURE)
def test_forged_tampered_stale_replayed_and_oversized_requests_run_nothing_and_the_genuine_one_runs_once(
    front: SlackSender,
    fake_slack: FakeSlack,
    connection: Redis,
    pytestconfig: pytest.Config,
    *,
    chance: random.Random,
    drill: Tally,
) -> None:
    """300 attacking requests in a random order (30 in ``make test``) around one genuine mention."""
    ts = front.new_ts()
    mention = front.message_event(f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=ts, kind="app_mention")
    genuine = event_body(mention, event_id="EvGenuine")
    sent_at = int(time.time())
    genuine_headers = {"x-slack-signature": signature(genuine, secret=SECRET, timestamp=sent_at)}
    assert (
        post(front.events_url, genuine, content_type=JSON, timestamp=sent_at, headers=genuine_headers)[0]
        == 200
    )

    wrong: list[tuple[str, int]] = []
    attacks = trial_count(pytestconfig, trials=300, quick=30)
    for _ in range(attacks):
        if chance.random() < 0.15:  # the genuine request again, byte for byte, inside the window
            status, _ = post(
                front.events_url, genuine, content_type=JSON, timestamp=sent_at, headers=genuine_headers
            )
            expected = 200
            name = "replay"
        else:
            attack = chance.choice(list(REFUSED))
            other = front.message_event(
                f"<@{BOT_USER}> drain node-{chance.randint(1, 3)}",
                user=ALICE,
                ts=front.new_ts(),
                kind="app_mention",
            )
            status, _ = attack(front, event_body(other, event_id=f"Ev{chance.getrandbits(32)}"), chance)
            expected = REFUSED[attack]
            name = attack.__name__
        if status != expected:
            wrong.append((name, status))

    fake_slack.wait_for("chat.postMessage", where=lambda call: call.body.get("thread_ts") == ts)
    time.sleep(0.5)  # a second answer or a job of a forged request would show by now
    answers = fake_slack.calls("chat.postMessage")
    jobs = connection.keys("rq:job:*")
    drill.tried(Family.SIGNATURE, attacks)
    drill.lost(Family.SIGNATURE, int(not jobs))
    drill.duplicated(
        Family.SIGNATURE,
        max(0, len(jobs) - 1) + max(0, len(answers) - 1) + len([w for w in wrong if w[1] == 200]),
    )
    assert wrong == []
    assert len(jobs) == 1
    assert [call.body.get("thread_ts") for call in answers] == [ts]


def test_a_body_that_is_not_utf8_is_refused_with_401_not_a_server_error(
    front: SlackSender, connection: Redis
) -> None:
    """Found by the drill: a signed body with one byte flipped out of UTF-8 made the verifier raise (500)."""
    body = event_body({"type": "app_mention", "text": "caf\u00e9"}, event_id="EvBytes").replace(
        b"caf\\u00e9", b"caf\xe9"
    )
    assert post(front.events_url, body, content_type=JSON)[0] == 401
    assert connection.keys("rq:job:*") == []
