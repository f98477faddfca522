"""A pending request whose targets change outside the bot is voided while it waits, not once approved.

Real Redis, the default scenario on kubesim, the real job functions run by an in-process RQ worker;
the change outside the bot is made straight in the cluster, as ``kubectl`` would make it.
"""

from __future__ import annotations

import time

from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.core.approvals import ApprovalState
from bot.core.conversation import Engine, Message, Reply
from bot.core.policy_file import demo_policy
from bot.core.rechecks import RECHECK_INTERVAL_SECONDS
from bot.core.timeline import Appended, Entry
from bot.dispatch import RQDispatcher
from bot.timeline_recorder import TimelineRecorder
from bot.wiring import build_engine
from kubesim.server import Simulator
from shared.messages import approvals as messages
from tests.bot.test_approved_jobs import (  # noqa: F401  (fixtures)
    REQUEST_TS,
    ask,
    fixture_connection,
    fixture_sim,
    planned,
    work,
)
from tests.support.clocks import ManualClock
from tests.support.plans import last_word

EVERY_CALL = 1e-6
"""A re-check interval so short that each call of the engine is a new round."""


def pending(engine: Engine, connection: Redis, text: str) -> Reply:
    """Alice asks for ``text``; its plan runs; the request it opens waits for a lead."""
    request = planned(engine, connection, ask(engine, text))
    assert request.approval is not None and request.approval.state is ApprovalState.PENDING
    return request


def recheck(engine: Engine, connection: Redis) -> list[Reply]:
    """One round of re-checks, run by a worker; what the engine says about their last words."""
    queued = engine.recheck_pending(interval=EVERY_CALL)
    assert queued, "a pending request with a plan is re-checked"
    work(connection)
    return engine.plans_reported([last_word(connection, job_id) for job_id in queued])


def pods_on(sim: Simulator, node: str) -> list[str]:
    """The names of the pods bound to ``node``."""
    pods, _ = sim.store.list("pods", None)
    return sorted(pod["metadata"]["name"] for pod in pods if pod["spec"].get("nodeName") == node)


def cordon_by_hand(sim: Simulator, node: str) -> None:
    """What ``kubectl cordon`` writes, without the bot."""
    body = {"spec": {"unschedulable": True}}
    sim.store.patch("nodes", None, node, body, content_type="application/merge-patch+json")


def test_a_node_cordoned_by_hand_voids_the_pending_drain_which_then_never_runs(
    connection: Redis, sim: Simulator
) -> None:
    """The drain of node-2 waits for a lead; someone cordons node-2 with kubectl: the next re-check
    voids the request in its thread, naming the node; a later approve releases nothing."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = pending(engine, connection, "drain node-2 --force --delete-emptydir-data")
    assert request.approval is not None
    before = pods_on(sim, "node-2")
    cordon_by_hand(sim, "node-2")

    [said] = recheck(engine, connection)

    assert said.text == messages.voided_by_a_change_outside(targets=["node/node-2"])
    assert (said.channel, said.thread_ts) == ("C_OPS", REQUEST_TS)
    voided = engine.approval(request.approval.approval_id)
    assert voided is not None and voided.state is ApprovalState.VOIDED
    assert RQDispatcher(connection).parked(request.approval.job_id) is None
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    job = Job.fetch(request.approval.job_id, connection=connection, serializer=JSONSerializer)
    assert job.get_status() != "finished"
    assert pods_on(sim, "node-2") == before


def test_an_unchanged_cluster_keeps_the_request_waiting_silently_and_approvable(
    connection: Redis, sim: Simulator
) -> None:
    """Three rounds find the plan as shown (status rewritten by kubelets meanwhile does not count):
    nothing is said, and the lead's approval then runs the scale."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = pending(engine, connection, "scale web 5")
    assert request.approval is not None

    for _ in range(3):
        assert recheck(engine, connection) == []

    still = engine.approval(request.approval.approval_id)
    assert still is not None and still.state is ApprovalState.PENDING
    engine.handle(Message(user="U_BOB", channel="C_OPS", ts="1.2", text="approve", thread_ts=REQUEST_TS))
    work(connection)
    assert sim.store.get("deployments", "default", "web")["spec"]["replicas"] == 5


def test_a_plan_that_now_fails_voids_the_request_with_the_reason(connection: Redis, sim: Simulator) -> None:
    """The deployment a pending scale was planned on is deleted by hand: the re-check's plan fails, and
    the request is void, saying why."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    request = pending(engine, connection, "scale web 5")
    assert request.approval is not None
    sim.store.delete("deployments", "default", "web")

    [said] = recheck(engine, connection)

    assert said.text.startswith("This request is void: its plan no longer holds (")
    assert "web" in said.text
    voided = engine.approval(request.approval.approval_id)
    assert voided is not None and voided.state is ApprovalState.VOIDED


def test_a_round_is_queued_once_however_many_bot_processes_tick_it(connection: Redis, sim: Simulator) -> None:
    """Two engines (two bot processes) in the same round, an hour after the plan: one re-check job between
    them, and none again within that round."""
    clock = ManualClock(time.time())
    first = build_engine(policy=demo_policy(), connection=connection, cluster="default", clock=clock)
    second = build_engine(policy=demo_policy(), connection=connection, cluster="default", clock=clock)
    pending(first, connection, "scale web 5")
    clock.now += 3600

    queued = [*first.recheck_pending(interval=3600), *second.recheck_pending(interval=3600)]

    assert len(queued) == 1
    assert first.recheck_pending(interval=3600) == []


def test_a_plan_just_shown_is_not_re_checked_and_re_checks_are_not_listed_as_jobs(
    connection: Redis, sim: Simulator
) -> None:
    """Within a minute of its plan a request is as fresh as a re-check would make it: none is queued.
    Later ones are the bot's own bookkeeping: ``jobs`` lists the requested job, never its re-checks."""
    clock = ManualClock(time.time())
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default", clock=clock)
    request = pending(engine, connection, "scale web 5")
    assert request.approval is not None

    assert engine.recheck_pending() == []
    clock.now += RECHECK_INTERVAL_SECONDS
    [recheck_id] = engine.recheck_pending()

    listed = [job.job_id for job in RQDispatcher(connection).recent("default")]
    assert request.approval.job_id in listed and recheck_id not in listed


class Recorded:
    """A timeline that keeps what it is given (the recorder's boundary)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def append(self, entry: Entry, /) -> Appended:
        self.entries.append(entry)
        return Appended(stream="recorded", seq=len(self.entries), duplicate=False)


def test_re_checks_leave_nothing_on_the_timeline_but_the_void_they_cause(
    connection: Redis, sim: Simulator
) -> None:
    """The recorder skips the re-check jobs' own events; the voiding is the request's answer, recorded
    by the engine."""
    engine = build_engine(policy=demo_policy(), connection=connection, cluster="default")
    pending(engine, connection, "drain node-2 --force --delete-emptydir-data")
    recheck(engine, connection)
    cordon_by_hand(sim, "node-2")
    recheck(engine, connection)
    timeline = Recorded()

    TimelineRecorder(connection, timeline=timeline, consumer="test").drain()

    recorded_jobs = {entry.job_id for entry in timeline.entries}
    assert recorded_jobs and not any("-recheck-" in str(job_id) for job_id in recorded_jobs)
