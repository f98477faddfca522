"""The conversation engine: from a chat message to replies and queued jobs, under a policy."""

from __future__ import annotations

import json

import fakeredis
import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.conversation import IMPLEMENTED, Engine, Message
from bot.core.policy_file import demo_policy, load_policy
from bot.core.timeline import EntryKind
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import TimelineStore, channel_stream
from bot.wiring import build_engine
from shared.commands import Cordon, Uncordon
from shared.invocation import invocation_of
from shared.jobevents import RequestContext
from shared.jobs import job_id_for, plan_job_id, queue_name
from shared.messages import jobs as job_messages
from shared.undo import UndoOffer

ALICE, BOB, DAVE = "U_ALICE", "U_BOB", "U_DAVE"


@pytest.fixture(name="connection")
def fixture_connection() -> Redis:
    """An in-memory Redis with Lua, enough for RQ's unique enqueue."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return connection


@pytest.fixture(name="engine")
def fixture_engine(connection: Redis) -> Engine:
    """The engine under the demo policy, queueing onto RQ in fakeredis."""
    return build_engine(policy=demo_policy(), connection=connection, cluster="default")


def message(
    text: str, *, user: str = ALICE, ts: str = "1700000000.000100", thread: str | None = None
) -> Message:
    """A message in the console channel."""
    return Message(user=user, channel="C_OPS", ts=ts, text=text, thread_ts=thread)


def queued_jobs(connection: Redis, cluster: str = "default") -> list[Job]:
    """The jobs waiting on a cluster's queue."""
    queue = Queue(queue_name(cluster), connection=connection, serializer=JSONSerializer)
    return queue.get_jobs()


def test_an_allowed_cordon_is_queued_with_json_arguments_and_a_message_derived_id(
    engine: Engine, connection: Redis
) -> None:
    """cordon node-3 becomes workers.jobs.cordon(node=..., dry_run=False, request=...) on the default queue."""
    replies = engine.handle(message("<@UBOT> cordon node-3"))
    job_id = job_id_for(channel="C_OPS", message_ts="1700000000.000100")
    assert [reply.job_id for reply in replies] == [job_id]
    assert job_id in replies[0].text
    [job] = queued_jobs(connection)
    assert job.id == job_id
    assert job.func_name == "workers.jobs.cordon"
    assert job.kwargs["node"] == "node-3"
    assert job.kwargs["dry_run"] is False
    assert job.kwargs["request"]["user"] == ALICE
    assert job.kwargs["request"]["thread_ts"] == "1700000000.000100"
    json.dumps(job.kwargs)  # JSON-safe throughout


def test_the_same_message_delivered_twice_enqueues_once(engine: Engine, connection: Redis) -> None:
    """A redelivery (same channel and ts) is answered as a duplicate and queues nothing more."""
    first = engine.handle(message("cordon node-3"))
    second = engine.handle(message("cordon node-3"))
    assert len(queued_jobs(connection)) == 1
    assert second[0].text == job_messages.duplicate(job_id=str(first[0].job_id))


def test_different_messages_make_different_jobs(engine: Engine, connection: Redis) -> None:
    """Two requests with the same words are two jobs."""
    engine.handle(message("cordon node-3", ts="1.000001"))
    engine.handle(message("uncordon node-3", ts="1.000002"))
    assert [job.func_name for job in queued_jobs(connection)] == [
        "workers.jobs.cordon",
        "workers.jobs.uncordon",
    ]


def test_cluster_option_routes_the_job_to_that_clusters_queue(engine: Engine, connection: Redis) -> None:
    """--cluster picks the queue; nothing lands on the default one."""
    engine.handle(message("cordon node-3 --cluster prod-eu"))
    assert queued_jobs(connection) == []
    [job] = queued_jobs(connection, "prod-eu")
    assert job.kwargs["request"]["cluster"] == "prod-eu"


def test_a_denied_command_names_the_rule_and_queues_nothing(engine: Engine, connection: Redis) -> None:
    """Dave is a viewer: the cordon rule refuses him, only he sees why, and nothing is queued."""
    [reply] = engine.handle(message("cordon node-3", user=DAVE))
    assert reply.ephemeral
    assert "rule 2" in reply.text
    assert queued_jobs(connection) == []


def test_a_usage_error_is_answered_to_the_sender_only(engine: Engine, connection: Redis) -> None:
    """A typo gets a usage line and a suggestion, never a traceback."""
    [reply] = engine.handle(message("cordn node-3"))
    assert reply.ephemeral
    assert "cordon" in reply.text
    assert queued_jobs(connection) == []


def test_the_job_carries_its_command_and_the_undo_it_offers_as_data_never_the_typed_words(
    engine: Engine, connection: Redis
) -> None:
    """The request names the command and its arguments, and the undo worked out at submission."""
    engine.handle(message("<@UBOT> cordon node-3"))
    [job] = queued_jobs(connection)
    request = RequestContext.from_json(job.kwargs["request"])
    assert request.command == invocation_of(Cordon(node="node-3")).to_json()
    assert request.undo == UndoOffer(invocation_of(Uncordon(node="node-3")), {"changed": True}).to_json()
    assert "UBOT" not in json.dumps(job.kwargs["request"])


def test_a_command_given_as_data_runs_as_it_is_whatever_its_words(engine: Engine, connection: Redis) -> None:
    """An Undo click hands the engine the command itself: the words are for the record, not read."""
    [reply] = engine.handle(
        Message(user=ALICE, channel="C_OPS", ts="1.000002", text="(undo)", command=Uncordon(node="node-3"))
    )
    assert reply.job_id is not None and not reply.ephemeral
    [job] = queued_jobs(connection)
    assert (job.func_name, job.kwargs["node"]) == ("workers.jobs.uncordon", "node-3")


def test_a_command_needing_approval_queues_only_its_plan(engine: Engine, connection: Redis) -> None:
    """drain needs a lead's approval: its dry-run plan is queued, the real drain waits parked, nobody is asked yet."""
    [reply] = engine.handle(message("drain node-2"))
    assert reply.approval is None
    assert "needs approval from `leads`" in reply.text and "plan first" in reply.text
    [plan] = queued_jobs(connection)
    assert plan.func_name == "workers.jobs.drain"
    assert plan.kwargs["dry_run"] is True
    assert plan.id == reply.job_id == plan_job_id(job_id_for(channel="C_OPS", message_ts="1700000000.000100"))


def test_deployment_commands_get_the_policys_default_namespace(connection: Redis) -> None:
    """status web with no -n runs in the policy's default namespace."""
    policy = load_policy(
        "default_namespace: shop\nrules:\n  - commands: ['*']\n    allow: ['*']\n", source="test"
    )
    engine = build_engine(policy=policy, connection=connection, cluster="default")
    engine.handle(message("status web"))
    [job] = queued_jobs(connection)
    assert job.kwargs["namespace"] == "shop"
    assert job.kwargs["deployment"] == "web"


def test_every_line_of_help_fits_80_columns(engine: Engine) -> None:
    """Bob may run everything: his help is a short list by area, no line over 80 characters, no code block."""
    [reply] = engine.handle(message("help", user=BOB))
    lines = reply.text.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "```" not in reply.text
    assert [line.split(":*")[0] for line in lines if line.startswith("*")] == [
        "*Looking",
        "*Nodes",
        "*Deployments",
        "*Upgrades",
        "*Backups",
        "*Jobs and incidents",
    ]


def test_help_drain_shows_its_usage_and_an_example(engine: Engine) -> None:
    """`help drain`: what it does, how to write it with every option, and a command to copy."""
    [reply] = engine.handle(message("help drain", user=BOB))
    assert "Usage: `drain NODE [--force] [--delete-emptydir-data]" in reply.text
    assert "`[--timeout DURATION]`" in reply.text
    assert "Example: `drain node-1 --delete-emptydir-data --timeout 10m`" in reply.text
    assert max(len(line) for line in reply.text.splitlines()) <= 80


def test_help_lists_only_what_the_person_may_run(engine: Engine) -> None:
    """Dave sees read-only commands in help, not cordon."""
    [reply] = engine.handle(message("help", user=DAVE))
    assert "nodes" in reply.text
    assert "cordon" not in reply.text


def test_jobs_lists_the_latest_jobs_of_the_cluster(engine: Engine) -> None:
    """After a cordon is queued, jobs shows it."""
    [queued] = engine.handle(message("cordon node-3", ts="1.000001"))
    [listing] = engine.handle(message("jobs", ts="1.000002"))
    assert str(queued.job_id) in listing.text
    assert "queued" in listing.text


def test_cancel_withdraws_a_queued_job(engine: Engine, connection: Redis) -> None:
    """A queued job cancelled by id never runs."""
    [queued] = engine.handle(message("cordon node-3", ts="1.000001"))
    [answer] = engine.handle(message(f"cancel {queued.job_id}", ts="1.000002"))
    assert "Cancelled" in answer.text
    assert queued_jobs(connection) == []


def test_cancel_of_an_unknown_job_says_so(engine: Engine) -> None:
    """cancel with an id nobody issued is a clear answer, not an error."""
    [answer] = engine.handle(message("cancel job-0000000000"))
    assert "There is no job" in answer.text


def test_a_command_that_is_understood_but_not_built_says_so(connection: Redis) -> None:
    """A command with no job behind it in this deployment is answered plainly, and nothing is queued."""
    engine = build_engine(
        policy=demo_policy(),
        connection=connection,
        cluster="default",
        implemented=IMPLEMENTED - {"etcd snapshot"},
    )
    [answer] = engine.handle(message("etcd snapshot"))
    assert answer.text == job_messages.not_available_yet(command="etcd snapshot")
    assert queued_jobs(connection) == []


def test_a_pin_is_a_note_only_for_someone_the_note_rule_allows(engine: Engine, connection: Redis) -> None:
    """Engine.pin applies the note rule itself: Dave's pin is refused and records nothing; Alice's is a note."""
    assert not engine.pin(user=DAVE, channel="C_OPS", message_ts="1600000000.000100", text="by dave")
    assert engine.pin(user=ALICE, channel="C_OPS", message_ts="1600000000.000200", text="by alice")
    entries = [
        chained.entry
        for chained in TimelineStore(connection, key=DEMO_CHAIN_KEY).entries(channel_stream("C_OPS"))
    ]
    assert [entry.summary for entry in entries if entry.kind is EntryKind.NOTE] == ["by alice"]
