"""Work that runs later: a command's window, its ``--at``/``--in``, and the start they give it.

A command whose rule names a window (:attr:`~bot.core.policy.Rule.window`) runs inside it: typed
while the window is open it runs now, and the job still carries its window (so over many nodes it
stops at the window's end); typed while the window is closed, it is planned and approved now and
starts at the next opening. ``--at``/``--in`` ask for a later start; inside a window, a start that
falls outside it moves to the window's next opening. A dry run changes nothing and always runs now.

Pure functions; the engine applies them and the dispatcher hands a deferred job to RQ's scheduler.
"""

from __future__ import annotations

import dataclasses

from bot.core.freezing import freeze_gate, split_break_glass
from bot.core.policy import Decision, Policy
from bot.core.timeline import Entry, EntryKind
from shared import commands
from shared.errors import UsageError
from shared.freezes import Freeze
from shared.grammar import parse
from shared.messages import windows as messages
from shared.schedules import Schedule
from shared.start_flags import StartRequest, split_start
from shared.vocabulary import READ_ONLY_COMMANDS
from shared.windows import local_time, start_time


@dataclasses.dataclass(frozen=True)
class Typed:
    """A command as typed: the command, the later start it asks, whether it breaks the glass of a
    freeze, and its text without those options (the command as its job runs it)."""

    command: commands.Command
    start: StartRequest | None
    break_glass: bool
    text: str


def parse_request(text: str) -> Typed:
    """Read a command with its ``--at``/``--in`` and ``--break-glass``. Raises :class:`UsageError`.

    The grammar reads the text first, so free text (``note … --at 5``) stays as typed; only when it
    does not read are those options taken out and the rest read.
    """
    try:
        return Typed(parse(text), None, False, text)
    except UsageError as error:
        unglassed, break_glass = split_break_glass(text)
        stripped, start = split_start(unglassed)
        if start is None and not break_glass:
            raise error from None
        return Typed(parse(stripped), start, break_glass, stripped)


def schedule_for(
    decision: Decision, command: commands.Command, *, start: StartRequest | None, now: float
) -> Schedule | None:
    """When the job of ``command`` starts, and in which window; None for a job with neither.

    Raises :class:`UsageError` for a ``--at`` that cannot be read or has passed.
    """
    window = decision.window
    if command.dry_run or (window is None and start is None):
        return None
    wanted = now if start is None else start.wanted(now=now, window=window)
    return Schedule(start_at=start_time(window, wanted=wanted), window=window, asked_at=now)


@dataclasses.dataclass(frozen=True)
class Deferred:
    """A job handed to RQ's scheduler, as the engine says it: the reply, and its timeline entry."""

    reply: str
    entry: Entry


def deferred(
    *, job_id: str, description: str, cluster: str, schedule: Schedule, channel: str, thread: str, now: float
) -> Deferred:
    """ "Job … is queued for Sat 12 Dec 22:00 CET, in 2 d 3 h", and the ``job_deferred`` entry."""
    window = schedule.window.name if schedule.window else None
    when = local_time(schedule.window, schedule.start_at)
    reply = messages.deferred(
        job_id=job_id,
        description=description,
        cluster=cluster,
        when=when,
        wait=schedule.start_at - now,
        window=window,
    )
    entry = Entry(
        at=now,
        actor="chatops",
        kind=EntryKind.JOB_DEFERRED,
        summary=messages.deferred_summary(description=description, when=when, window=window),
        channel=channel,
        thread_ts=thread,
        event_id=f"{job_id}-deferred",
        cluster=cluster,
        job_id=job_id,
        details={"starts_at": schedule.start_at, "window": window, "break_glass": schedule.break_glass},
    )
    return Deferred(reply=reply, entry=entry)


@dataclasses.dataclass(frozen=True)
class Gated:
    """A command that may go ahead: its decision (a break-glass adds the incident group's approval),
    when it starts, and, for a break-glass, the incident group and the freeze it breaks."""

    decision: Decision
    schedule: Schedule | None
    incident: tuple[str, ...] = ()
    broken: Freeze | None = None


def gate(
    policy: Policy,
    typed: Typed,
    *,
    decision: Decision,
    freeze: Freeze | None,
    cluster: str,
    now: float,
) -> Gated | str:
    """When the command's job starts, and whether a freeze lets it: :class:`Gated`, or a refusal.

    Raises :class:`UsageError` for a ``--at`` that cannot be read or has passed.
    """
    command = typed.command
    schedule = schedule_for(decision, command, start=typed.start, now=now)
    if command.dry_run or command.name in READ_ONLY_COMMANDS:
        return Gated(decision, schedule)
    glass = freeze_gate(
        policy,
        freeze=freeze,
        command=command.name,
        cluster=cluster,
        break_glass=typed.break_glass,
        rule_approval=decision.approval,
    )
    if glass is None or isinstance(glass, str):
        return glass or Gated(decision, schedule)
    if schedule is not None:
        schedule = dataclasses.replace(schedule, break_glass=True)
    decision = dataclasses.replace(decision, approval=glass.requirement)
    return Gated(decision, schedule, incident=glass.incident, broken=glass.freeze)


def planning_note(schedule: Schedule | None, *, now: float) -> str | None:
    """What the plan-first reply adds when the job will wait for its window after approval."""
    if schedule is None or schedule.start_at <= now:
        return None
    when = local_time(schedule.window, schedule.start_at)
    if schedule.window is None:
        return messages.later_start_note(when=when)
    return messages.outside_window_note(window=schedule.window.name, when=when)
