"""Scheduled backups: the schedule file, its slots, exactly one job per slot however many workers race,
and retention of each schedule's newest backups."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from kubesim.server import Simulator
from shared import commands
from shared.jobevents import EVENTS_STREAM
from shared.jobs import queue_name
from tests.backups.store_files import write_config_backup, write_snapshot
from workers import backup_store
from workers import cli as worker_cli
from workers.schedule import ScheduleError, job_id_pattern, parse_schedule, scheduled_job_id
from workers.scheduler import Scheduler

SCHEDULE = """
schedules:
  - name: nightly
    command: etcd snapshot
    at: "02:00"
    keep: 7
  - name: config
    command: backup config --all
    every: 6h
    cluster: main
    channel: C0OPS
    keep: 2
"""


def utc(text: str) -> float:
    """Epoch seconds of a UTC time written ``2026-11-28 02:00``."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC).timestamp()


def test_a_schedule_file_reads_into_entries_with_their_commands_and_timing() -> None:
    """Each entry keeps its parsed command, period, offset, cluster and retention."""
    nightly, config = parse_schedule(SCHEDULE)

    assert (nightly.name, nightly.command, nightly.every_seconds, nightly.offset_seconds, nightly.keep) == (
        "nightly",
        commands.EtcdSnapshot(),
        86_400,
        7_200,
        7,
    )
    assert (config.command, config.every_seconds, config.cluster, config.channel) == (
        commands.BackupConfig(all_namespaces=True),
        21_600,
        "main",
        "C0OPS",
    )


def test_a_daily_slot_starts_at_its_time_and_a_moment_before_belongs_to_the_day_before() -> None:
    """at: "02:00" puts 01:59 in yesterday's slot and 02:00 in today's; every: 6h aligns to midnight UTC."""
    nightly, config = parse_schedule(SCHEDULE)

    assert nightly.slot(utc("2026-11-28 01:59")) == utc("2026-11-27 02:00")
    assert nightly.slot(utc("2026-11-28 02:00")) == utc("2026-11-28 02:00")
    assert config.slot(utc("2026-11-28 17:59")) == utc("2026-11-28 12:00")
    assert scheduled_job_id("nightly", int(utc("2026-11-28 02:00"))) == "sched-nightly-20261128T0200Z"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{name: s, command: backup secrets --all, every: 24h}", "only backups can be scheduled"),
        ("{name: s, command: drain node-1, every: 24h}", "only backups can be scheduled"),
        ("{name: s, command: etcd snapshot, every: 24h, at: '02:00'}", "exactly one of `every` and `at`"),
        ("{name: s, command: etcd snapshot, at: '2am'}", "`at` must be a time"),
        ("{name: s, command: etcd snapshot, every: 24h, keep: 0}", "`keep` must be a whole number"),
        ("{name: Nightly!, command: etcd snapshot, every: 24h}", "`name` must be a short lowercase name"),
    ],
    ids=["secrets", "not-a-backup", "both-timings", "bad-time", "keep-zero", "bad-name"],
)
def test_an_unusable_entry_is_refused_with_the_reason(entry: str, problem: str) -> None:
    """Secrets (which a policy grants people, not schedules), other commands and bad timings are refused."""
    with pytest.raises(ScheduleError, match="Schedule entry 1 is not usable") as raised:
        parse_schedule(f"schedules:\n  - {entry}\n")
    assert problem in str(raised.value)


@pytest.mark.redis
def test_three_schedulers_racing_over_the_same_slots_enqueue_exactly_one_job_per_slot(redis_url: str) -> None:
    """Three workers tick at the same moments for five slots of two entries: ten jobs, one per slot, ids from the slot."""
    entries = parse_schedule(SCHEDULE)
    schedulers = [
        Scheduler(Redis.from_url(redis_url), entries, cluster="main", name=f"worker-{n}") for n in range(3)
    ]
    moments = [utc("2026-11-28 02:00") + hours * 86_400 + 60 for hours in range(5)]
    barrier = threading.Barrier(len(schedulers))
    enqueued: list[list[str]] = [[] for _ in schedulers]

    def race(index: int) -> None:
        for moment in moments:
            barrier.wait()
            enqueued[index].extend(schedulers[index].tick(moment))

    threads = [threading.Thread(target=race, args=(index,)) for index in range(len(schedulers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = {scheduled_job_id(entry.name, entry.slot(moment)) for entry in entries for moment in moments}
    everything = [job_id for ids in enqueued for job_id in ids]
    assert sorted(everything) == sorted(expected) and len(expected) == 10
    queue = Queue(queue_name("main"), connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    assert sorted(queue.get_job_ids()) == sorted(expected)


@pytest.mark.redis
def test_a_slot_claimed_again_after_its_key_expired_still_enqueues_no_second_job(redis_url: str) -> None:
    """The job id from the slot and unique=True keep a slot to one job even when its claim is gone."""
    connection = Redis.from_url(redis_url)
    entries = parse_schedule(SCHEDULE)[:1]
    scheduler = Scheduler(connection, entries, cluster="main")
    moment = utc("2026-11-28 03:00")
    assert scheduler.tick(moment) == ["sched-nightly-20261128T0200Z"]

    connection.delete(entries[0].slot_key("main", entries[0].slot(moment)))

    assert scheduler.tick(moment + 60) == []
    assert Queue(queue_name("main"), connection=connection, serializer=JSONSerializer).count == 1


@pytest.mark.redis
def test_entries_of_another_cluster_are_left_to_its_workers(redis_url: str) -> None:
    """A worker of cluster edge enqueues the entry without a cluster, not the one pinned to main."""
    scheduler = Scheduler(Redis.from_url(redis_url), parse_schedule(SCHEDULE), cluster="edge")

    assert scheduler.tick(utc("2026-11-28 03:00")) == ["sched-nightly-20261128T0200Z"]


@pytest.mark.redis
def test_scheduled_backups_run_as_the_schedule_and_keep_only_the_newest(
    redis_url: str, scenario: Simulator, tmp_path: Path
) -> None:
    """Three slots of a keep-2 config schedule, worked by a worker: two backups stay, events name schedule:config."""
    connection = Redis.from_url(redis_url)
    entries = parse_schedule(SCHEDULE)[1:]
    scheduler = Scheduler(connection, entries, cluster="main")
    for hours in (0, 6, 12):
        scheduler.tick(utc("2026-11-28 00:00") + hours * 3600)
    queue = Queue(queue_name("main"), connection=connection, serializer=JSONSerializer)

    SimpleWorker([queue], connection=connection, serializer=JSONSerializer).work(burst=True)

    kept = backup_store.list_backups(tmp_path / "store")
    assert [entry.job_id for entry in kept] == ["sched-config-20261128T1200Z", "sched-config-20261128T0600Z"]
    events: list[Any] = list(connection.xrange(EVENTS_STREAM) or [])
    actors = {fields[b"user"].decode() for _, fields in events}
    kinds = [fields[b"kind"].decode() for _, fields in events]
    assert actors == {"schedule:config"}
    assert kinds.count("queued") == 3 and kinds.count("succeeded") == 3


def test_retention_deletes_only_the_oldest_backups_of_that_schedule(tmp_path: Path) -> None:
    """keep 2 of nightly: its two oldest go with their records; another schedule's and a manual backup stay."""
    store = tmp_path / "store"
    nightly = [
        write_snapshot(store, stamp=f"202611{day}T020000Z", job_id=f"sched-nightly-202611{day}T0200Z")
        for day in ("25", "26", "27", "28")
    ]
    other = write_snapshot(store, stamp="20261124T020000Z", job_id="sched-nightly-2-20261124T0200Z")
    manual = write_config_backup(store, stamp="20261101T000000Z", job_id="job-abc")

    deleted = backup_store.prune(store, job_id_pattern=job_id_pattern("nightly"), keep=2)

    assert deleted == [nightly[1].name, nightly[0].name]
    remaining = {entry.name for entry in backup_store.list_backups(store)}
    assert remaining == {nightly[3].name, nightly[2].name, other.name, manual.name}
    assert not (store / "etcd" / (nightly[0].name + ".json")).exists()


@pytest.mark.redis
def test_the_scheduler_thread_enqueues_the_current_slot_and_stops_when_asked(redis_url: str) -> None:
    """Started beside the worker, the loop queues the due slot; stop() ends the thread."""
    connection = Redis.from_url(redis_url)
    scheduler = Scheduler(
        connection,
        parse_schedule(SCHEDULE)[:1],
        cluster="main",
        clock=lambda: utc("2026-11-28 09:30"),
        tick_seconds=0.01,
    )
    queue = Queue(queue_name("main"), connection=connection, serializer=JSONSerializer)
    scheduler.start()
    try:
        for _ in range(500):
            if queue.count:
                break
            threading.Event().wait(0.01)
    finally:
        scheduler.stop()

    assert not scheduler.running
    assert queue.get_job_ids() == ["sched-nightly-20261128T0200Z"]


@pytest.mark.redis
def test_a_worker_with_an_unusable_schedule_file_refuses_to_start(
    redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """chatops worker exits with status 2 and names the problem rather than running without its schedule."""
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text("schedules:\n  - {name: s, command: drain node-1, every: 24h}\n")
    environ = {"REDIS_URL": redis_url, "CHATOPS_SCHEDULE": str(schedule)}

    status = worker_cli.main(["--burst"], connect=Redis.from_url, environ=environ)

    assert status == 2
    assert "Schedule entry 1 is not usable: only backups can be scheduled" in capsys.readouterr().err
