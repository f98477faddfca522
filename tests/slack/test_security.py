"""Only Slack can drive the app, people cannot smuggle pings through it, and only members may answer."""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Iterator

import pytest
from redis import Redis

from shared.messages import slack as messages
from tests.slack.conftest import ALICE, GONE, GUEST, RunningBot
from tests.slack.fake_slack import BOT_USER, FakeSlack
from tests.slack.observe import deliveries, settled, wait_until
from tests.slack.signed import SECRET, event_body, post, signature
from tests.support.drills import Family, Tally

pytestmark = pytest.mark.redis


def only_start_up_calls(fake_slack: FakeSlack) -> bool:
    """True when the app has called nothing but auth.test."""
    return {call.method for call in fake_slack.calls()} <= {"auth.test"}


@pytest.mark.drill(Family.SIGNATURE)
def test_a_request_with_a_bad_signature_is_refused_with_401_and_runs_nothing(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """A forged signature and one made with another secret both get 401; nothing is queued or posted."""
    event = running.slack.message_event(
        f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=running.slack.new_ts(), kind="app_mention"
    )
    body = event_body(event, event_id="EvForged")
    forged = post(
        running.slack.events_url, body, content_type="application/json", forged_signature="v0=" + "0" * 64
    )
    other_secret = post(
        running.slack.events_url, body, content_type="application/json", secret="not-the-secret"
    )
    drill.tried(Family.SIGNATURE, 2)
    drill.duplicated(
        Family.SIGNATURE, [forged[0], other_secret[0]].count(200) + len(connection.keys("rq:job:*"))
    )
    assert (forged[0], other_secret[0]) == (401, 401)
    assert only_start_up_calls(fake_slack)
    assert connection.keys("rq:job:*") == []


@pytest.mark.drill(Family.SIGNATURE)
def test_a_replayed_request_older_than_five_minutes_is_refused_with_401(
    running: RunningBot, fake_slack: FakeSlack, connection: Redis, drill: Tally
) -> None:
    """A correctly signed delivery whose timestamp is six minutes old is a replay: 401, nothing runs."""
    event = running.slack.message_event(
        f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=running.slack.new_ts(), kind="app_mention"
    )
    status, _ = running.slack.send_event(event, timestamp=int(time.time()) - 6 * 60)
    drill.tried(Family.SIGNATURE)
    drill.duplicated(Family.SIGNATURE, int(status == 200) + len(connection.keys("rq:job:*")))
    assert status == 401
    assert only_start_up_calls(fake_slack)
    assert connection.keys("rq:job:*") == []


class ServerLog(logging.Handler):
    """What the HTTP server logged (uvicorn logs an app's unhandled exception with its traceback)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(name="server_log")
def fixture_server_log(running: RunningBot) -> Iterator[ServerLog]:
    """Records what uvicorn logs while the test runs (its loggers do not propagate to pytest's)."""
    handler = ServerLog()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    "timestamp",
    [None, "", "yesterday", "1e9", "-60", "12.5", "\u00b2\u00b3", "9" * 5000],
    ids=["missing", "empty", "word", "exponent", "negative", "decimal", "superscript-digits", "5000-digits"],
)
def test_a_missing_or_non_integer_timestamp_is_refused_with_401_and_no_traceback(
    running: RunningBot,
    fake_slack: FakeSlack,
    connection: Redis,
    server_log: ServerLog,
    timestamp: str | None,
) -> None:
    """A timestamp header that is absent or not plain digits is an invalid request: 401, nothing logged."""
    event = running.slack.message_event(
        f"<@{BOT_USER}> cordon node-3", user=ALICE, ts=running.slack.new_ts(), kind="app_mention"
    )
    body = event_body(event, event_id="EvNoTimestamp")
    signed_now = signature(body, secret=SECRET, timestamp=int(time.time()))
    status, _ = post(
        running.slack.events_url,
        body,
        content_type="application/json",
        forged_signature=signed_now,
        headers={} if timestamp is None else {"x-slack-request-timestamp": timestamp},
        without=["x-slack-request-timestamp"] if timestamp is None else [],
    )
    assert status == 401
    assert [record for record in server_log.records if record.exc_info] == []
    assert only_start_up_calls(fake_slack)
    assert connection.keys("rq:job:*") == []


def test_a_channel_ping_in_an_argument_never_reaches_slack_unescaped(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """<!channel>, <!here> and <@U…> typed as arguments come back as inert text, by mention and by /ops."""
    slack = running.slack
    slack.send_event(
        slack.message_event(
            f"<@{BOT_USER}> cordon <!channel>", user=ALICE, ts=slack.new_ts(), kind="app_mention"
        )
    )
    slack.send_event(
        slack.message_event("drain <!here|here> <@U_BOB>", user=ALICE, ts=slack.new_ts(), channel="D_ALICE")
    )
    slack.slash("cordon <!channel> <https://evil.example|node-1>", user=ALICE)
    wait_until(settled(running.bot, route="command", expected=3), what="three commands")
    posted = [call for call in fake_slack.calls() if call.method.startswith("chat.")]
    assert len(posted) >= 4
    for call in posted:
        shown = call.shown_text()
        assert "<!channel>" not in shown
        assert "<!here" not in shown
        assert "<@U_BOB>" not in shown
        assert "<https://evil" not in shown
    assert any("&lt;!channel&gt;" in call.text for call in posted)


def test_a_guest_cannot_answer_an_approval_and_the_engine_never_hears_it(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """A guest typing approve in a thread is told only they see why, and nothing else happens."""
    root = running.slack.new_ts()
    running.slack.send_event(
        running.slack.message_event("approve", user=GUEST, ts=running.slack.new_ts(), thread_ts=root)
    )
    wait_until(settled(running.bot, route="answer", expected=1), what="the answer")
    assert deliveries(running.bot, route="answer", outcome="refused") == 1
    [refusal] = fake_slack.calls("chat.postEphemeral")
    assert refusal.text == messages.answer_refused_account(reason=messages.account_is_guest())
    assert (refusal.body["user"], refusal.body["thread_ts"]) == (GUEST, root)
    assert fake_slack.calls("chat.postMessage") == []


def test_a_deactivated_account_clicking_approve_is_refused(
    running: RunningBot, fake_slack: FakeSlack
) -> None:
    """users.info says the clicker is deactivated: the click does not count."""
    root = running.slack.new_ts()
    running.slack.click("approval_approve", user=GONE, thread_ts=root, message_ts=running.slack.new_ts())
    wait_until(settled(running.bot, route="answer", expected=1), what="the click")
    [refusal] = fake_slack.calls("chat.postEphemeral")
    assert refusal.text == messages.answer_refused_account(reason=messages.account_deactivated())
    assert fake_slack.calls("chat.postMessage") == []


def test_health_and_metrics_are_served_beside_the_slack_endpoint(running: RunningBot) -> None:
    """GET /healthz says ok while Redis answers; GET /metrics counts Slack's requests by status."""
    running.slack.send_event(running.slack.message_event("hello", user=ALICE, ts=running.slack.new_ts()))
    with urllib.request.urlopen(running.server.url + "/healthz", timeout=5) as answer:
        assert (answer.status, answer.read()) == (200, b"ok")
    with urllib.request.urlopen(running.server.url + "/metrics", timeout=5) as answer:
        text = answer.read().decode()
    assert 'chatops_slack_requests_total{status="200"} 1.0' in text
