"""Sentences of the console chat (the terminal stand-in for Slack)."""

from __future__ import annotations

from collections.abc import Sequence


def no_such_thread(number: str) -> str:
    """``#N`` named a thread that does not exist."""
    return f"  (there is no thread #{number} yet; requests are numbered as they are made)"


def crashed(error: BaseException) -> str:
    """The engine raised: a bug. Shown, and the session goes on."""
    return f"  !! internal error while handling that line ({type(error).__name__}: {error}); please report it"


def worker_error(error: BaseException) -> str:
    """The embedded worker stopped on an error."""
    return f"  !! the embedded worker stopped: {type(error).__name__}: {error}"


def still_running(job_id: str) -> str:
    """The console stopped waiting for a job."""
    return f"  ({job_id} is still running; `jobs` shows it)"


def only_you(user_name: str) -> str:
    """Marks an ephemeral reply."""
    return f" (only {user_name} sees this)"


def now_typing_as(name: str, user_id: str) -> str:
    """After ``/as``."""
    return f"  (now typing as {name}, {user_id})"


def unknown_console_command(verb: str) -> str:
    """A slash command the console does not know."""
    return f"  (unknown console command {verb}; /help lists them)"


def console_help(users: Sequence[str]) -> str:
    """``/help`` in the console."""
    return "\n".join(
        [
            "  Console commands:",
            "    /as NAME      type as someone else: " + ", ".join(users) + " (or a user id)",
            "    #N TEXT       reply in the thread of request N (approve, deny REASON)",
            "    # comment     ignored",
            "  Anything else is a message to the bot; try `help`.",
        ]
    )


def banner(*, cluster_source: str, redis_source: str, user: str) -> str:
    """Printed when an interactive console starts."""
    return (
        f"chatops console: cluster {cluster_source}, Redis {redis_source}. You are {user}.\n"
        "Type `help` for commands, /help for console commands, Ctrl-D to leave."
    )


def internal_error(error: BaseException) -> str:
    """A bug escaped to the command line: one line, and how to see more."""
    return (
        f"chatops: internal error ({type(error).__name__}: {error}). "
        "Run again with CHATOPS_DEBUG=1 to see the traceback, and please report it."
    )


def pages_served(*, url: str) -> str:
    """Printed when the console serves incident pages (``--pages``)."""
    return f"Incident pages are served on {url}: `timeline INCIDENT --link` gives a link to one."


def demo_timeline_key() -> str:
    """Printed (to stderr) when the console keys the timeline with the public demo key."""
    return (
        "warning: CHATOPS_TIMELINE_KEY is not set, so the timeline's hash chain uses the public demo key "
        "(anyone who can write Redis could rewrite it unnoticed); set it to a secret outside Redis."
    )


def file_shared(*, number: int, name: str, lines: int) -> str:
    """A document shared in a thread (in Slack, a file under the message), named with its size."""
    return f"  [#{number}] file {name}: {lines:,} lines (shared as a file in Slack)"


def card_edit(*, number: int, kind: str) -> str:
    """The prefix of a line that edits a job's card (a new message in Slack would not be posted)."""
    return f"  [#{number}]   ↳ {kind}: "
