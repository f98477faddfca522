"""The timeline store fails for a while mid-job; afterwards every event is on the timeline once, chain intact.

The recorder (the timeline's consumer group on the job events bus) connects to a real Redis as an
ACL user whose writes to the timeline Redis refuses during the outage (:mod:`tests.support.timeline_outage`).
The outage starts at a point drawn over the whole job (at a random one of its events) and lasts a
random while; in some trials the acknowledgements are refused too (appended, never acknowledged:
redelivered later). Meanwhile the engine keeps appending notes to the same incident, so two writers
extend the chain through the outage.

Trials: a drain on kubesim by a real worker, and reported jobs at random pacing, 20 of them under
``make reliability`` (``--drill-summary``), 3 in ``make test``. ``DRILL_SEED=N`` replays a run; the
seed is in every failure message.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from benchmarks.drain import BUSY_NODE
from bot.core.timeline import Entry, EntryKind
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_recorder import event_entry
from bot.timeline_store import TimelineStore, incident_stream
from bot.wiring import build_recorder
from shared.jobevents import EventKind, RequestContext
from tests.drills.conftest import REPLICAS, StartWorker
from tests.drills.workers import evicted_so_far, final_event, wait_until
from tests.support.drills import ENABLED_OPTION, Family, Tally
from tests.support.timeline_outage import TimelineOutage, recorder_user
from tests.workers.harness import JobRunner, read_events, request_for
from workers.report import Reporter

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CHANNEL = request_for("any")["channel"]
"""Where the jobs report (the channel of the harness's requests, as the bot would send them)."""
SEED = int(os.environ.get("DRILL_SEED") or random.SystemRandom().randrange(1_000_000))


@pytest.fixture(name="trials")
def fixture_trials(request: pytest.FixtureRequest) -> int:
    """How many reported-job trials: 20 under ``make reliability``, 3 in ``make test``."""
    return 20 if request.config.getoption(ENABLED_OPTION) else 3


@pytest.fixture(name="recorder_side")
def fixture_recorder_side(connection: Redis, redis_url: str) -> Iterator[tuple[Redis, TimelineOutage]]:
    """The recorder's own connection (an ACL user), and the switch that makes its timeline writes fail."""
    with recorder_user(connection, redis_url) as (url, outage):
        recorder_connection = Redis.from_url(url)
        yield recorder_connection, outage
        recorder_connection.close()


class Outage:
    """One fault: the store fails from :meth:`begin` (at event ``after`` of the job) for ``seconds``."""

    def __init__(self, switch: TimelineOutage, rng: random.Random, *, events: int) -> None:
        self.switch = switch
        self.after = rng.randint(1, max(1, events - 1))
        self.seconds = rng.uniform(0.1, 0.8)
        self.acks_too = rng.random() < 0.3
        self.delayed = False
        """Whether, as the store came back, an entry was missing (the drill drilled something)."""
        self._timer: threading.Thread | None = None

    def begin(self, *, held_back: Callable[[], bool]) -> None:
        """Fail the store now, and restore it ``seconds`` later but not before an event of the job is held
        back (``held_back``: one is missing from the timeline), so that every trial delays something."""
        self.switch.begin()
        if self.acks_too:
            self.switch.lost_acks()

        def later() -> None:
            time.sleep(self.seconds)
            deadline = time.monotonic() + 20
            while not held_back() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.delayed = held_back()
            self.switch.end()

        self._timer = threading.Thread(target=later)
        self._timer.start()

    def finish(self) -> None:
        """Wait until the store is restored."""
        if self._timer is not None:
            self._timer.join(timeout=30)

    def __str__(self) -> str:
        acks = ", acknowledgements refused too" if self.acks_too else ""
        return f"outage at event {self.after} for {self.seconds:.2f} s{acks}"


def notes_meanwhile(store: TimelineStore, stop: threading.Event) -> list[str]:
    """The engine appending notes to the channel (so to its open incident) until ``stop``; their ids."""
    written: list[str] = []
    while not stop.is_set():
        event_id = uuid.uuid4().hex
        store.append(
            Entry(
                at=time.time(),
                actor="U_ALICE",
                kind=EntryKind.NOTE,
                summary=f"note {len(written)}",
                channel=CHANNEL,
                event_id=event_id,
            )
        )
        written.append(event_id)
        stop.wait(0.03)
    return written


@dataclasses.dataclass
class Trial:
    """One job run through one outage, on the timeline of an incident opened for it."""

    connection: Redis
    outage: Outage
    seed: int
    store: TimelineStore = dataclasses.field(init=False)
    stream: str = dataclasses.field(init=False)
    incident_id: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.store = TimelineStore(self.connection, key=DEMO_CHAIN_KEY)
        incident, _ = self.store.open_incident(channel=CHANNEL, title="drill", actor="U_ALICE")
        self.incident_id = incident.incident_id
        self.stream = incident_stream(incident.incident_id)

    def expected(self, job_id: str) -> set[str]:
        """The entry ids of every event ``job_id`` published so far."""
        return {event_entry(event).event_id for event in read_events(self.connection, job_id)}

    def held_back(self, job_id: str) -> Callable[[], bool]:
        """Whether some of ``job_id``'s published events are not on the timeline (yet)."""

        def check() -> bool:
            recorded = {chained.entry.event_id for chained in self.store.entries(self.stream)}
            return not self.expected(job_id) <= recorded

        return check

    def run(self, job: Callable[[], str], *, drill: Tally) -> None:
        """Run ``job`` (it returns its job id) while the engine writes notes; tally and check the timeline."""
        stop_notes = threading.Event()
        notes: list[str] = []
        noter = threading.Thread(target=lambda: notes.extend(notes_meanwhile(self.store, stop_notes)))
        noter.start()
        try:
            job_id = job()
        finally:
            self.outage.finish()
            stop_notes.set()
            noter.join(timeout=10)
        context = f"seed {self.seed}, {self.outage}"
        caught_up = self.held_back(job_id)
        with_notes = self.expected(job_id) | set(notes)
        try:
            wait_until(lambda: not caught_up(), what=f"the timeline to catch up ({context})", seconds=20)
        finally:
            entries = list(self.store.entries(self.stream))
            counted = collections.Counter(chained.entry.event_id for chained in entries)
            drill.tried(Family.TIMELINE_OUTAGE)
            drill.lost(Family.TIMELINE_OUTAGE, len(with_notes - set(counted)))
            drill.duplicated(Family.TIMELINE_OUTAGE, sum(count - 1 for count in counted.values()))
        scope = self.store.scope(channel=CHANNEL, incident_id=self.incident_id)
        assert scope is not None
        report = self.store.export(scope).report
        assert self.outage.delayed, f"the outage held nothing back ({context})"
        assert set(counted) >= with_notes, context
        assert max(counted.values()) == 1, f"entries recorded twice ({context})"
        assert report.ok, f"{report.sentence()} ({context})"
        assert [chained.seq for chained in entries] == list(range(1, len(entries) + 1)), context
        self.store.close_incident(channel=CHANNEL, actor="U_ALICE")


def test_a_timeline_outage_mid_drain_delays_entries_and_loses_none(
    connection: Redis,
    recorder_side: tuple[Redis, TimelineOutage],
    runner: JobRunner,
    start_worker: StartWorker,
    *,
    drill: Tally,
) -> None:
    """A real worker drains node-1 on kubesim (12 evictions the budget paces) while the store fails."""
    recorder_connection, switch = recorder_side
    recorder = build_recorder(recorder_connection, consumer="runner-1", retry_seconds=0.05)
    recorder.start()
    start_worker()
    trial = Trial(connection, Outage(switch, random.Random(SEED), events=REPLICAS - 2), seed=SEED)

    def drain() -> str:
        job_id = runner.enqueue("drain", node=BUSY_NODE)
        wait_until(
            lambda: len(evicted_so_far(connection, job_id)) >= trial.outage.after, what="the fault point"
        )
        trial.outage.begin(held_back=trial.held_back(job_id))
        assert final_event(connection, job_id).kind == EventKind.SUCCEEDED
        return job_id

    try:
        trial.run(drain, drill=drill)
    finally:
        recorder.stop()


def reported_job(
    connection: Redis, trial: Trial, *, job_id: str, count: int, pace: float
) -> Callable[[], str]:
    """A job publishing ``count`` events through the worker's reporter, ``pace`` seconds apart; the
    outage begins right before its event ``trial.outage.after``."""
    request = RequestContext(
        job_id=job_id, user="U_ALICE", channel=CHANNEL, thread_ts="1.1", cluster="default"
    )

    def job() -> str:
        reporter = Reporter(connection, request)
        for index in range(count):
            if index == trial.outage.after:
                trial.outage.begin(held_back=trial.held_back(job_id))
            if index == 0:
                reporter.emit(EventKind.STARTED, "started")
            elif index == count - 1:
                reporter.emit(EventKind.SUCCEEDED, "drained")
            else:
                reporter.progress(f"evicted pod shop-{index}", pod=f"shop-{index}")
            time.sleep(pace)
        return job_id

    return job


def test_timeline_outages_at_random_points_of_reported_jobs_lose_and_duplicate_nothing(
    connection: Redis, recorder_side: tuple[Redis, TimelineOutage], trials: int, *, drill: Tally
) -> None:
    """Jobs report 10 to 40 events at random pacing; each trial fails the store at a random one of them."""
    recorder_connection, switch = recorder_side
    rng = random.Random(SEED)
    recorder = build_recorder(recorder_connection, consumer="runner-1", retry_seconds=0.05)
    recorder.start()
    try:
        for number in range(trials):
            count = rng.randint(10, 40)
            trial = Trial(connection, Outage(switch, rng, events=count), seed=SEED)
            job = reported_job(
                connection, trial, job_id=f"job-drill-{number}", count=count, pace=rng.uniform(0.002, 0.03)
            )
            trial.run(job, drill=drill)
    finally:
        recorder.stop()
