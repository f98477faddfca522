"""The console chat: the same engine as Slack, typed in a terminal or read from a script.

Lines are messages from the current user in one channel. ``/as NAME`` switches the person (so an
approval by someone else can be tried), ``#N TEXT`` replies in the thread of request N, and lines
starting with ``# `` are comments. Replies are printed with the thread they belong to, and job
progress is printed as the worker reports it, message for message as the Slack thread shows it
(:func:`~shared.jobevents.posts_a_message`): a job's first event is its card, later progress is an
edit of that card (marked ``↳``), warnings, plans and the outcome are messages of their own.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterable
from typing import TextIO

from bot.core.approvals import opens_request
from bot.core.conversation import Engine, Message, Reply
from bot.core.plan_gate import PLAN_SUFFIX, is_request_plan
from bot.core.rechecks import is_recheck
from bot.embedded import EmbeddedWorker
from bot.events import EventFeed
from bot.timeline_recorder import TimelineRecorder
from shared.fit import attached
from shared.jobevents import EventKind, JobEvent, LookupAnswer, is_lookup, posts_a_message
from shared.messages import approvals as approval_messages
from shared.messages import console as messages

DEMO_USERS = {"alice": "U_ALICE", "bob": "U_BOB", "carol": "U_CAROL", "dave": "U_DAVE"}


def demo_name(user: str) -> str:
    """The short name of a demo user id (``U_ALICE`` is ``alice``); any other id as it is."""
    return next((name for name, uid in DEMO_USERS.items() if uid == user), user)


"""The people of the demo policy, by the names the console accepts after ``/as``."""

CONSOLE_CHANNEL = "C_CONSOLE"
JOB_WAIT_SECONDS = 900.0
"""How long the console waits for a job's last word before giving the prompt back."""


@dataclasses.dataclass
class ConsoleSession:
    """One console conversation: who is typing, the threads so far, and where output goes."""

    engine: Engine
    feed: EventFeed
    out: TextIO
    recorder: TimelineRecorder | None = None
    """Puts job events on the timeline from the same bus the console shows them from."""
    worker: EmbeddedWorker | None = None
    user: str = DEMO_USERS["alice"]
    channel: str = CONSOLE_CHANNEL
    echo: bool = True
    threads: dict[str, int] = dataclasses.field(default_factory=dict)
    _answers: dict[str, LookupAnswer] = dataclasses.field(default_factory=dict)
    """Lookups still running, by job id: what their one message says so far."""
    _plans: dict[str, str] = dataclasses.field(default_factory=dict)
    """The plans of approval requests not asked yet, by the gated job's id: shown in the request."""
    _files: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    """Documents that go with a job's message (a list too long to show), by job id, until it is shown."""
    _carded: set[str] = dataclasses.field(default_factory=set)
    """Jobs whose card is shown: their next progress edits it (as in Slack) rather than adding a message."""
    _clock: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    @property
    def user_name(self) -> str:
        """The short name of the current user, for prompts."""
        return demo_name(self.user)

    def run(self, lines: Iterable[str]) -> bool:
        """Handle every line; return False if any line crashed (the rest still ran)."""
        ok = True
        for line in lines:
            ok = self.handle_line(line) and ok
        return ok

    def handle_line(self, line: str) -> bool:
        """Handle one typed line; return False only if it crashed."""
        text = line.rstrip("\n")
        stripped = text.strip()
        if not stripped or stripped == "#" or stripped.startswith("# "):
            return True
        if self.echo:
            self._print(f"{self.user_name}> {stripped}")
        if stripped.startswith("/"):
            self._console_command(stripped)
            return True
        thread_ts: str | None = None
        if stripped.startswith("#"):
            number, _, rest = stripped[1:].partition(" ")
            thread_ts = self._thread_by_number(number)
            if thread_ts is None:
                self._print(messages.no_such_thread(number))
                return True
            stripped = rest
        message = Message(
            user=self.user, channel=self.channel, ts=self._next_ts(), text=stripped, thread_ts=thread_ts
        )
        self._record()
        try:
            for notice in self.engine.expire_due():
                self._show_reply(notice)
            rechecks = set(self.engine.recheck_pending())
            if rechecks:  # what a re-check finds is said in its request's thread, as in Slack
                self._follow(rechecks)
            replies = self.engine.handle(message)
        except Exception as error:  # shown, counted, and the session goes on
            self._print(messages.crashed(error))
            return False
        for reply in replies:
            self._show_reply(reply)
        jobs = {reply.job_id for reply in replies if reply.job_id and reply.starts_at is None}
        if jobs:
            self._follow(jobs)
        return True

    def _console_command(self, text: str) -> None:
        verb, _, argument = text.partition(" ")
        if verb == "/as" and argument.strip():
            name = argument.strip()
            self.user = DEMO_USERS.get(name.lower(), name)
            self._print(messages.now_typing_as(self.user_name, self.user))
        elif verb in {"/help", "/?"}:
            self._print(messages.console_help(sorted(DEMO_USERS)))
        else:
            self._print(messages.unknown_console_command(verb))

    def _follow(self, job_ids: set[str]) -> None:
        """Print job events until every job in ``job_ids`` has said its last word."""
        if self.worker is not None:
            self.worker.start_burst()
        pending = set(job_ids)
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while pending and time.monotonic() < deadline:
            self._show_events(self.feed.read(block_ms=200), pending)
            if self.worker is not None and not self.worker.busy and pending:
                # The burst ended; pick up anything left, then stop waiting if nothing more comes.
                self._show_events(self.feed.read(block_ms=200), pending)
                if pending and not self.worker.busy:
                    for error in self.worker.errors:
                        self._print(messages.worker_error(error))
                    self.worker.errors.clear()
                    break
        for job_id in sorted(pending):
            self._print(messages.still_running(job_id))

    def _record(self) -> None:
        """Put what the workers reported so far on the timeline (what fails is kept for the next try)."""
        if self.recorder is not None:
            self.recorder.drain()

    def _show_events(self, events: list[JobEvent], pending: set[str]) -> None:
        if events:
            self._record()
        for event in events:
            if not is_recheck(event):  # a re-check has no thread of its own
                self._show_event(event)
            if event.kind.is_final:
                pending.discard(event.job_id)
        for reply in self.engine.plans_reported(events):
            self._show_reply(reply)

    def _show_reply(self, reply: Reply) -> None:
        number = self._thread_number(reply.thread_ts)
        if reply.quiet:
            return  # a lookup: its answer, printed as the job gives it, is the one message
        prefix = f"  [#{number}] bot"
        if reply.ephemeral:
            prefix += messages.only_you(self.user_name)
        text = reply.text
        if (
            reply.approval is not None
            and reply.approval.job_id in self._plans
            and opens_request(reply.approval)
        ):
            text += "\n" + approval_messages.plan_heading() + "\n" + self._plans.pop(reply.approval.job_id)
        self._print_block(prefix + ": ", text)
        if (
            reply.approval is not None
            and opens_request(reply.approval)
            and reply.approval.job_id in self._files
        ):
            name, content = self._files.pop(reply.approval.job_id)
            self._print(messages.file_shared(number=number, name=name, lines=len(content.splitlines())))
        if reply.file is not None:
            self._print_block(f"  [#{number}] {reply.file.filename}: ", reply.file.content)

    def _show_event(self, event: JobEvent) -> None:
        if is_request_plan(event):
            # As in Slack: no message of its own; the request it opens shows the plan.
            if event.kind is EventKind.PLAN:
                self._plans[event.job_id.removesuffix(PLAN_SUFFIX)] = event.text
                found = attached(event.details)
                if found is not None:  # shared under the request it opens
                    self._files[event.job_id.removesuffix(PLAN_SUFFIX)] = found
            return
        number = self._thread_number(event.thread_ts)
        found = attached(event.details)
        if found is not None:
            self._files[event.job_id] = found
        if is_lookup(event):
            # One message, as in Slack (where it is edited as it streams): printed once the job ends.
            answer = self._answers.setdefault(event.job_id, LookupAnswer())
            answer.take(event)
            if not event.kind.is_final:
                return
            del self._answers[event.job_id]
            self._print_block(f"  [#{number}] bot: ", answer.text)
        elif posts_a_message(event, carded=event.job_id in self._carded):
            self._carded.add(event.job_id)
            self._print_block(f"  [#{number}] {event.kind.value}: ", event.text)
        else:  # the job's card, edited in place in Slack: shown as an edit, not a new message
            self._print_block(messages.card_edit(number=number, kind=event.kind.value), event.text)
        if event.job_id in self._files:  # shared under the message, as in Slack; named, not printed
            name, content = self._files.pop(event.job_id)
            self._print(messages.file_shared(number=number, name=name, lines=len(content.splitlines())))

    def _thread_number(self, thread_ts: str) -> int:
        if thread_ts not in self.threads:
            self.threads[thread_ts] = len(self.threads) + 1
        return self.threads[thread_ts]

    def _thread_by_number(self, number: str) -> str | None:
        for ts, index in self.threads.items():
            if str(index) == number:
                return ts
        return None

    def _next_ts(self) -> str:
        """A Slack-style ts: the current second, and a counter that keeps every message distinct."""
        return f"{int(time.time())}.{next(self._clock):06d}"

    def _print_block(self, prefix: str, text: str) -> None:
        # As a Slack client shows them: the three entities chat text is escaped with, as characters.
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        lines = text.splitlines() or [""]
        self._print(prefix + lines[0])
        indent = " " * len(prefix)
        for line in lines[1:]:
            self._print(indent + line)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
