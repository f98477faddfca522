"""The backup schedule: entries read from the YAML file ``CHATOPS_SCHEDULE`` names, and the time slots
they fall into.

A file looks like::

    schedules:
      - name: nightly-etcd
        command: etcd snapshot
        at: "02:00"          # daily, UTC
        keep: 7
      - name: config
        command: backup config --all
        every: 6h            # slots aligned to the epoch: 00:00, 06:00, 12:00, 18:00 UTC
        cluster: main        # default: the worker's cluster
        channel: C0OPS       # where its job card goes (default: none; the timeline still records it)
        keep: 20

A slot is the start of the period a moment falls in; a job is due once per slot, so a worker that
starts late still runs the slot it missed, once. The job of a slot has a deterministic id
(:func:`scheduled_job_id`), which is how several workers agree that it was enqueued, and how
retention finds the backups of one schedule (:func:`job_id_pattern`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared import commands
from shared.durations import parse_duration
from shared.errors import UsageError
from shared.grammar import parse
from shared.messages import backups as wording

SCHEDULABLE = (commands.EtcdSnapshot, commands.BackupConfig)
"""What a schedule may run: backups only (and never with Secrets, which a policy must grant a person)."""

_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?")
_AT = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_DAY = 86_400
MIN_EVERY_SECONDS = 60.0


class ScheduleError(ValueError):
    """The schedule file is not usable; the message says which entry and why."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduleEntry:
    """One scheduled backup: what to run, how often, where, and how many of its backups to keep."""

    name: str
    command: commands.Command
    text: str
    """The command as written in the file."""
    every_seconds: float
    offset_seconds: float = 0.0
    """Where slots start within the period (``at: "02:00"``: 7200 of a day)."""
    cluster: str | None = None
    keep: int | None = None
    channel: str = ""
    """The chat channel the job's events are addressed to; ``""``: no channel."""

    def slot(self, now: float) -> int:
        """The start (epoch seconds) of the slot ``now`` falls in."""
        period = self.every_seconds
        return int((now - self.offset_seconds) // period * period + self.offset_seconds)

    def slot_key(self, cluster: str, slot: int) -> str:
        """The Redis key that marks this slot as claimed by one worker."""
        return f"chatops:schedule:{cluster}:{self.name}:{slot}"


def slot_stamp(slot: int) -> str:
    """A slot as it appears in job ids: ``20261128T0200Z``."""
    return dt.datetime.fromtimestamp(slot, dt.UTC).strftime("%Y%m%dT%H%MZ")


def scheduled_job_id(name: str, slot: int) -> str:
    """The job id of one schedule's job for one slot: the same on every worker."""
    return f"sched-{name}-{slot_stamp(slot)}"


def job_id_pattern(name: str) -> re.Pattern[str]:
    """Matches the job ids of one schedule's jobs (and no other schedule's)."""
    return re.compile(rf"sched-{re.escape(name)}-\d{{8}}T\d{{4}}Z")


def actor(name: str) -> str:
    """Who a scheduled job is recorded as having asked for it."""
    return f"schedule:{name}"


def _entry(index: int, raw: object) -> ScheduleEntry:
    if not isinstance(raw, Mapping):
        raise ScheduleError(wording.schedule_entry_invalid(index, "it is not a mapping"))
    name = str(raw.get("name", ""))
    if _NAME.fullmatch(name) is None:
        raise ScheduleError(wording.schedule_entry_invalid(index, "`name` must be a short lowercase name"))
    text = str(raw.get("command", ""))
    try:
        command = parse(text)
    except UsageError as error:
        raise ScheduleError(wording.schedule_entry_invalid(index, str(error))) from error
    if type(command) not in SCHEDULABLE or command.dry_run:
        raise ScheduleError(wording.schedule_entry_invalid(index, "only backups can be scheduled"))
    every, offset = _timing(index, raw)
    keep = raw.get("keep")
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise ScheduleError(
            wording.schedule_entry_invalid(index, "`keep` must be a whole number of at least 1")
        )
    cluster = raw.get("cluster")
    channel = raw.get("channel")
    return ScheduleEntry(
        name=name,
        command=command,
        text=text,
        every_seconds=every,
        offset_seconds=offset,
        cluster=None if cluster is None else str(cluster),
        keep=keep,
        channel="" if channel is None else str(channel),
    )


def _timing(index: int, raw: Mapping[str, Any]) -> tuple[float, float]:
    every, at = raw.get("every"), raw.get("at")
    if (every is None) == (at is None):
        raise ScheduleError(wording.schedule_entry_invalid(index, "give exactly one of `every` and `at`"))
    if at is not None:
        match = _AT.fullmatch(str(at))
        if match is None:
            raise ScheduleError(wording.schedule_entry_invalid(index, '`at` must be a time like "02:00"'))
        return float(_DAY), float(int(match.group(1)) * 3600 + int(match.group(2)) * 60)
    try:
        seconds = parse_duration(str(every))
    except ValueError as error:
        raise ScheduleError(
            wording.schedule_entry_invalid(index, "`every` must be a duration like 24h")
        ) from error
    if seconds < MIN_EVERY_SECONDS:
        raise ScheduleError(wording.schedule_entry_invalid(index, "`every` must be at least a minute"))
    return seconds, 0.0


def parse_schedule(text: str) -> tuple[ScheduleEntry, ...]:
    """The entries of a schedule file's text; :class:`ScheduleError` when any is unusable."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ScheduleError(wording.schedule_unreadable()) from error
    raw = data.get("schedules") if isinstance(data, Mapping) else None
    if not isinstance(raw, list):
        raise ScheduleError(wording.schedule_unreadable())
    entries = tuple(_entry(index, item) for index, item in enumerate(raw))
    names = [entry.name for entry in entries]
    for name in names:
        if names.count(name) > 1:
            raise ScheduleError(wording.schedule_name_repeated(name))
    return entries


def load_schedule(path: Path) -> tuple[ScheduleEntry, ...]:
    """The entries of the schedule file at ``path``."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ScheduleError(wording.schedule_unreadable()) from error
    return parse_schedule(text)
