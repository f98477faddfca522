"""Limits on every message: each refuses with a clear reply, counts in a metric, and queues nothing.

The engine is the one ``chatops bot`` runs (:func:`bot.wiring.production_engine`), on a real Redis.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.conversation import Engine, Message, Reply
from bot.core.limits import Limits
from bot.core.policy_file import load_policy
from bot.observability import PrometheusObserver
from bot.settings import Settings, SettingsError
from bot.timeline_store import channel_stream
from bot.wiring import build_engine, production_engine
from shared.commands import Uncordon
from shared.jobs import queue_name
from shared.messages import limits as messages
from tests.observability.scrape import collect, value
from tests.support.clocks import ManualClock
from tests.support.job_key import TEST_JOB_KEY

pytestmark = pytest.mark.redis

POLICY = """
groups:
  oncall: [U_ALICE]
  leads: [U_BOB]
rules:
  - commands: [nodes, cordon, status]
    allow: ["*"]
  - commands: [scale]
    allow: [oncall]
    approval: {approvers: [leads], count: 1, ttl: 15m}
"""
_ts = iter(range(1, 1_000_000))


@pytest.fixture(name="connection")
def fixture_connection(redis_url: str) -> Iterator[Redis]:
    """This test's emptied real Redis."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def engine_with(
    connection: Redis,
    observer: PrometheusObserver | None = None,
    *,
    timeline_max_entries: int = 20_000,
    **limits: object,
) -> Engine:
    """The production engine under ``limits`` (the settings' defaults otherwise)."""
    settings = Settings(
        limits=Limits(**limits),  # type: ignore[arg-type]
        job_queued_seconds=3600,
        job_result_seconds=7200,
        timeline_max_entries=timeline_max_entries,
    )
    return production_engine(
        settings,
        policy=load_policy(POLICY),
        connection=connection,
        job_key=TEST_JOB_KEY.encode(),
        observer=observer,
    )


def say(engine: Engine, text: str, *, user: str = "U_DAVE", channel: str = "C_OPS") -> list[Reply]:
    """A new message (its own ts) in a channel."""
    return engine.handle(Message(user=user, channel=channel, ts=f"1700000000.{next(_ts):06d}", text=text))


def queued(connection: Redis, cluster: str = "default") -> list[str]:
    """The ids of the jobs waiting on a cluster's queue."""
    return Queue(queue_name(cluster), connection=connection, serializer=JSONSerializer).get_job_ids()


def limited(observer: PrometheusObserver, limit: str) -> float:
    """How many messages ``limit`` refused, from the metric."""
    return value(collect(observer.registry), "chatops_limited_total", limit=limit) or 0.0


def test_a_burst_from_one_person_is_answered_once_with_slow_down_and_queued_up_to_the_limit(
    connection: Redis,
) -> None:
    """60 ``nodes`` at once from a person in no group: 20 queued, one "slow down", 39 unanswered."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer, user_commands_per_minute=20)
    answers = [say(engine, "nodes") for _ in range(60)]
    assert len(queued(connection)) == 20
    refusals = [reply.text for replies in answers[20:] for reply in replies]
    assert refusals == [messages.slow_down(limit=20, per_channel=False)]
    assert limited(observer, "user_rate") == 40
    assert connection.xlen(channel_stream("C_OPS")) == 20, "refused messages are not recorded"


def test_a_busy_channel_is_limited_across_people(connection: Redis) -> None:
    """Five per minute in the channel: a sixth person is told "slow down" once, for the channel."""
    engine = engine_with(connection, channel_commands_per_minute=5)
    answers = [say(engine, "nodes", user=f"U_{n}") for n in range(8)]
    assert len(queued(connection)) == 5
    assert [r.text for replies in answers[5:] for r in replies] == [
        messages.slow_down(limit=5, per_channel=True)
    ]
    assert len(say(engine, "nodes", channel="C_QUIET")) == 1, "another channel is not limited by this one"


def test_the_rate_window_moves_on(connection: Redis) -> None:
    """A person limited this minute may send again the next."""
    clock = ManualClock(1_700_000_040.0)
    engine = build_engine(
        policy=load_policy(POLICY),
        connection=connection,
        cluster="default",
        clock=clock,
        limits=Limits(user_commands_per_minute=1),
    )
    assert say(engine, "nodes")[0].job_id is not None
    assert say(engine, "nodes")[0].text == messages.slow_down(limit=1, per_channel=False)
    clock.now += 60
    assert say(engine, "nodes")[0].job_id is not None


def test_a_message_too_long_or_of_too_many_words_is_refused_before_parsing(connection: Redis) -> None:
    """Past 2,000 characters or 40 words, the answer says so, and nothing is queued or recorded."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer)
    [long] = say(engine, "status web " + "x" * 2_000)
    [wordy] = say(engine, "status web" + " -n default" * 20)
    assert long.text == messages.too_long(limit=2_000)
    assert wordy.text == messages.too_many_arguments(limit=40)
    assert long.ephemeral and wordy.ephemeral
    assert queued(connection) == []
    assert connection.xlen(channel_stream("C_OPS")) == 0
    assert (limited(observer, "message_length"), limited(observer, "arguments")) == (1, 1)


def test_an_unknown_cluster_is_refused_and_no_queue_is_made_for_it(connection: Redis) -> None:
    """``--cluster junk`` names no cluster of the settings or the policy: refused, no RQ queue."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer, clusters=frozenset({"prod"}))
    [reply] = say(engine, "nodes --cluster junk")
    assert reply.text == messages.unknown_cluster(cluster="junk", known=["default", "prod"])
    assert limited(observer, "cluster") == 1
    assert [reply.job_id is not None for reply in say(engine, "nodes --cluster prod")] == [True]
    queues = {member.decode() for member in connection.smembers("rq:queues")}  # type: ignore[union-attr]
    assert queues == {"rq:queue:" + queue_name("prod")}


def test_a_command_asked_for_later_is_checked_as_the_command_it_runs(connection: Redis) -> None:
    """``--in 2h`` does not hide an unknown cluster from the limits: refused, nothing scheduled."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer, clusters=frozenset({"prod"}))
    [reply] = say(engine, "cordon node-1 --cluster junk --in 2h")
    assert reply.text == messages.unknown_cluster(cluster="junk", known=["default", "prod"])
    assert limited(observer, "cluster") == 1


def test_the_limits_check_a_command_given_as_data_not_the_words_that_go_with_it(connection: Redis) -> None:
    """An Undo click's command is what is checked: its cluster is unknown, whatever the words say."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer)
    click = Message(
        user="U_DAVE",
        channel="C_OPS",
        ts="1700000000.999999",
        text="uncordon node-3",
        command=Uncordon(node="node-3", cluster="junk"),
    )
    [reply] = engine.handle(click)
    assert reply.text == messages.unknown_cluster(cluster="junk", known=["default"])
    assert limited(observer, "cluster") == 1 and queued(connection) == []


def test_a_person_with_too_many_pending_approvals_cannot_ask_another(connection: Redis) -> None:
    """Two requests waiting (here still planning, which counts): a third is refused; a dry run is fine."""
    observer = PrometheusObserver()
    engine = engine_with(connection, observer, max_pending_approvals=2)
    for replicas in (1, 2):
        [planning] = say(engine, f"scale web {replicas}", user="U_ALICE")
        assert planning.job_id is not None and planning.job_id.endswith("-plan"), planning.text
    [refused] = say(engine, "scale web 3", user="U_ALICE")
    assert refused.text == messages.too_many_pending(limit=2)
    assert refused.approval is None
    assert limited(observer, "pending_approvals") == 1
    assert say(engine, "scale web 3 --dry-run", user="U_ALICE")[0].job_id is not None


def test_names_are_checked_before_any_job_exists(connection: Redis) -> None:
    """A node name Kubernetes would reject (DNS-1123) is a usage error: nothing is queued."""
    [reply] = say(engine_with(connection), "cordon Node_1")
    assert reply.ephemeral
    assert queued(connection) == []


def test_queued_jobs_and_their_results_have_lifetimes(connection: Redis) -> None:
    """A queued job expires unstarted after CHATOPS_JOB_QUEUED_HOURS; results last CHATOPS_JOB_RESULT_HOURS."""
    [reply] = say(engine_with(connection), "nodes")
    assert reply.job_id is not None
    job = Job.fetch(reply.job_id, connection=connection, serializer=JSONSerializer)
    assert (job.ttl, job.result_ttl, job.failure_ttl) == (3600, 7200, 7200)
    assert 0 < connection.ttl(job.key) <= 3600


def test_refused_commands_do_not_grow_a_timeline_without_bound(connection: Redis) -> None:
    """1,000 refused ``drain`` requests leave the channel's timeline near its retention, not at 1,000."""
    engine = engine_with(
        connection,
        timeline_max_entries=100,
        user_commands_per_minute=5_000,
        channel_commands_per_minute=5_000,
    )
    for _ in range(1_000):
        [refusal] = say(engine, "drain node-1")
        assert refusal.ephemeral
    assert connection.xlen(channel_stream("C_OPS")) <= 200  # MAXLEN ~ trims whole stream nodes


def test_every_limit_is_a_setting() -> None:
    """Each limit is read from the environment; a value that is not a positive number is refused."""
    settings = Settings.from_env(
        {
            "CHATOPS_MAX_MESSAGE_CHARS": "500",
            "CHATOPS_MAX_ARGUMENTS": "10",
            "CHATOPS_USER_COMMANDS_PER_MINUTE": "5",
            "CHATOPS_CHANNEL_COMMANDS_PER_MINUTE": "50",
            "CHATOPS_MAX_PENDING_APPROVALS": "1",
            "CHATOPS_CLUSTERS": "prod, staging",
            "CHATOPS_JOB_QUEUED_HOURS": "2",
            "CHATOPS_JOB_RESULT_HOURS": "48",
            "CHATOPS_TIMELINE_MAX_ENTRIES": "5000",
            "CHATOPS_TIMELINE_DAYS": "90",
        }
    )
    assert settings.limits == Limits(
        max_message_chars=500,
        max_arguments=10,
        user_commands_per_minute=5,
        channel_commands_per_minute=50,
        max_pending_approvals=1,
        clusters=frozenset({"prod", "staging"}),
    )
    assert (settings.job_queued_seconds, settings.job_result_seconds) == (7200, 48 * 3600)
    assert (settings.timeline_max_entries, settings.timeline_max_age_seconds) == (5000, 90 * 86_400)
    assert Settings.from_env({}).timeline_max_age_seconds is None
    with pytest.raises(SettingsError, match="CHATOPS_USER_COMMANDS_PER_MINUTE"):
        Settings.from_env({"CHATOPS_USER_COMMANDS_PER_MINUTE": "0"})
    with pytest.raises(SettingsError, match="CHATOPS_CLUSTERS"):
        Settings.from_env({"CHATOPS_CLUSTERS": "prod,no way"})
