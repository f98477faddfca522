"""The engine reports each command's outcome and each approval's decision, and logs them with their ids."""

from __future__ import annotations

import dataclasses
import json
import logging

import fakeredis
import pytest
from redis import Redis

from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import demo_policy
from bot.observability import PrometheusObserver
from bot.wiring import build_engine
from shared.logs import JsonFormatter
from tests.observability.scrape import collect, value
from tests.support.clocks import ManualClock
from tests.support.plans import asked

ALICE, BOB, DAVE = "U_ALICE", "U_BOB", "U_DAVE"
REQUEST_TS = "1700000000.000100"


@dataclasses.dataclass(frozen=True)
class Command:
    """One command report."""

    verb: str
    outcome: str
    cluster: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """One approval decision report."""

    outcome: str
    seconds: float


class RecordingObserver:
    """An observer that keeps what it is told, in order."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.decisions: list[Decision] = []

    def command(self, *, verb: str, outcome: str, cluster: str) -> None:
        """Keep a command report."""
        self.commands.append(Command(verb, outcome, cluster))

    def approval_decided(self, *, outcome: str, seconds: float) -> None:
        """Keep a decision report."""
        self.decisions.append(Decision(outcome, seconds))


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis with Lua."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    """The approvals' clock."""
    return ManualClock()


@pytest.fixture(name="observer")
def fixture_observer() -> RecordingObserver:
    """Where the engine's reports go."""
    return RecordingObserver()


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis, clock: ManualClock, observer: RecordingObserver) -> Engine:
    """The engine under the demo policy (cordon is free for operators, drain needs a lead's approval)."""
    return build_engine(
        policy=demo_policy(), connection=connection, cluster="default", clock=clock, observer=observer
    )


def say(engine: Engine, text: str, *, user: str = ALICE, ts: str, thread: str | None = None) -> list[Reply]:
    """One message in the ops channel."""
    return engine.handle(Message(user=user, channel="C_OPS", ts=ts, text=text, thread_ts=thread))


def json_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The engine's log records as the JSON lines the bot writes."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "chatops.engine"]


def test_queued_denied_unparsed_and_answered_commands_are_reported_by_verb(
    engine: Engine, observer: RecordingObserver
) -> None:
    """Each handled message is one report: what was asked, what became of it, on which cluster."""
    say(engine, "cordon node-3", ts="1.1")
    say(engine, "cordon node-3", ts="1.1")
    say(engine, "cordon node-3 --cluster prod-eu", ts="1.2")
    say(engine, "cordon node-3", user=DAVE, ts="1.3")
    say(engine, "frobnicate everything", ts="1.4")
    say(engine, "jobs", ts="1.5")
    say(engine, "help", ts="1.6")
    assert observer.commands == [
        Command("cordon", "queued", "default"),
        Command("cordon", "duplicate", "default"),
        Command("cordon", "queued", "prod-eu"),
        Command("cordon", "denied", "default"),
        Command("unparsed", "invalid", "default"),
        Command("jobs", "answered", "default"),
        Command("help", "answered", "default"),
    ]
    assert observer.decisions == []


def test_an_approved_request_is_reported_with_the_time_it_waited(
    engine: Engine, observer: RecordingObserver, clock: ManualClock
) -> None:
    """drain asks for approval; Bob approves 90 seconds later: one decision, approved, after 90 s."""
    asked(engine, say(engine, "drain node-2", ts=REQUEST_TS))
    clock.now += 90
    say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert observer.commands == [
        Command("drain", "approval_requested", "default"),
        Command("approve", "answered", "default"),
    ]
    assert observer.decisions == [Decision("approved", 90.0)]


def test_a_refused_self_approval_decides_nothing(engine: Engine, observer: RecordingObserver) -> None:
    """Alice approving her own drain is an answer, not a decision: no decision is reported."""
    asked(engine, say(engine, "drain node-2", ts=REQUEST_TS))
    say(engine, "approve", ts="1.2", thread=REQUEST_TS)
    assert observer.decisions == []


def test_denied_and_expired_requests_are_reported_with_their_outcome(
    engine: Engine, observer: RecordingObserver, clock: ManualClock
) -> None:
    """Bob denies one drain after a minute; another expires past the demo policy's 15 minutes."""
    asked(engine, say(engine, "drain node-2", ts=REQUEST_TS))
    asked(engine, say(engine, "drain node-1", ts="1700000001.000100"))
    clock.now += 60
    say(engine, "deny not now", user=BOB, ts="1.2", thread=REQUEST_TS)
    clock.now += 15 * 60
    engine.expire_due()
    assert observer.decisions == [Decision("denied", 60.0), Decision("expired", 16 * 60.0)]


def test_approval_log_lines_carry_the_approval_and_job_ids(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The request and its decision are logged as JSON lines an operator can follow by approval_id."""
    caplog.set_level(logging.INFO, logger="chatops.engine")
    reply = asked(engine, say(engine, "drain node-2", ts=REQUEST_TS))
    say(engine, "approve", user=BOB, ts="1.2", thread=REQUEST_TS)
    assert reply.approval is not None
    approval_id, job_id = reply.approval.approval_id, reply.approval.job_id
    about = [line for line in json_lines(caplog) if line.get("approval_id") == approval_id]
    assert [line["message"] for line in about] == [
        "command drain: approval_requested",
        f"approval {approval_id} approved after 0.0s",
    ]
    assert all(line["job_id"] == job_id and line["cluster"] == "default" for line in about)
    assert [line["user"] for line in about] == [ALICE, BOB]


def test_a_denied_command_is_logged_with_its_user(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Dave's refused cordon is a log line with his id and the cluster, and no job id (nothing queued)."""
    caplog.set_level(logging.INFO, logger="chatops.engine")
    say(engine, "cordon node-3", user=DAVE, ts="1.3")
    [line] = json_lines(caplog)
    assert line["message"] == "command cordon: denied"
    assert (line["user"], line["cluster"]) == (DAVE, "default")
    assert "job_id" not in line


def test_incident_log_lines_carry_the_incident_id(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Opening and closing an incident are logged with its id."""
    caplog.set_level(logging.INFO, logger="chatops.engine")
    say(engine, "incident open api latency", ts="1.1")
    say(engine, "incident close", ts="1.2")
    about = [line for line in json_lines(caplog) if "incident_id" in line]
    assert [str(line["message"]).split()[-1] for line in about] == ["opened", "closed"]
    assert len({line["incident_id"] for line in about}) == 1
    assert str(about[0]["incident_id"]) in str(about[0]["message"])


def test_the_prometheus_observer_counts_what_the_engine_reports(
    connection: Redis, clock: ManualClock
) -> None:
    """Scraped: commands by verb, outcome and cluster; approvals by outcome, with their wait."""
    observer = PrometheusObserver()
    engine = build_engine(
        policy=demo_policy(), connection=connection, cluster="default", clock=clock, observer=observer
    )
    say(engine, "cordon node-3", ts="1.1")
    say(engine, "cordon node-3", user=DAVE, ts="1.2")
    asked(engine, say(engine, "drain node-2", ts=REQUEST_TS))
    clock.now += 45
    say(engine, "approve", user=BOB, ts="1.3", thread=REQUEST_TS)
    samples = collect(observer.registry)
    assert value(samples, "chatops_commands_total", verb="cordon", outcome="queued", cluster="default") == 1
    assert value(samples, "chatops_commands_total", verb="cordon", outcome="denied", cluster="default") == 1
    assert (
        value(
            samples, "chatops_commands_total", verb="drain", outcome="approval_requested", cluster="default"
        )
        == 1
    )
    assert value(samples, "chatops_approvals_total", outcome="approved") == 1
    assert value(samples, "chatops_approval_decision_seconds_count", outcome="approved") == 1
    assert value(samples, "chatops_approval_decision_seconds_sum", outcome="approved") == 45.0
    assert value(samples, "chatops_approval_decision_seconds_bucket", outcome="approved", le="60.0") == 1
    assert value(samples, "chatops_approval_decision_seconds_bucket", outcome="approved", le="30.0") == 0


def test_slack_api_errors_are_counted_by_method_and_code() -> None:
    """Two refused posts and a refused reaction: counted apart by method and Slack's error code."""
    observer = PrometheusObserver()
    observer.slack_api_error(method="chat.postMessage", error="channel_not_found")
    observer.slack_api_error(method="chat.postMessage", error="channel_not_found")
    observer.slack_api_error(method="reactions.add", error="")
    samples = collect(observer.registry)
    posts = value(
        samples, "chatops_slack_api_errors_total", method="chat.postMessage", error="channel_not_found"
    )
    assert posts == 2
    assert value(samples, "chatops_slack_api_errors_total", method="reactions.add", error="unknown") == 1
