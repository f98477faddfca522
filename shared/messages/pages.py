"""Sentences of paged reading (``timeline``, ``jobs``) and of the ``help`` sheet as chat surfaces draw them.

The plain-text answers stay in :mod:`shared.messages.timeline` and :mod:`shared.messages.conversation`;
these are the words around a structured page: its title, its footer, the paging buttons, and one
line per entry. Everything handed in as ``what`` is already chat-safe.
"""

from __future__ import annotations

from shared.messages.approvals import mention
from shared.text_safety import code, escape


def entry_line(*, when: str, actor: str, what: str) -> str:
    """One entry of a page: when, who, and what happened (``what`` is chat-safe)."""
    who = f" {mention(actor)}" if actor else ""
    return f"`{when}`{who} {what}"


def page_footer(*, number: int, shown: int) -> str:
    """Small print under a page: which page, how many, and the time zone."""
    plural = "entry" if shown == 1 else "entries"
    return f"Page {number} · {shown} {plural} · times UTC"


def page_fallback(*, title: str, number: int, shown: int) -> str:
    """The notification text of a page after the first (the first keeps the plain answer)."""
    return f"{title}: page {number} ({shown} shown)."


def older_button() -> str:
    """The button that shows the next page back in time."""
    return "Older"


def newer_button() -> str:
    """The button that shows the page before (more recent)."""
    return "Newer"


def page_gone() -> str:
    """A paging click whose button no longer reads as a page (an old or altered message)."""
    return "This page can no longer be turned; ask again for a fresh one."


def page_cut(*, hidden: int) -> str:
    """Entries left off a page to stay within Slack's limits."""
    return f"…and {hidden} more not shown here; `--export md` gives the whole timeline."


def help_title() -> str:
    """Heading of the ``help`` sheet."""
    return "Commands you may run here"


def help_topic_title(*, topic: str) -> str:
    """Heading of ``help TOPIC``."""
    return f"help {topic}"


def help_hint() -> str:
    """Small print under the ``help`` sheet."""
    return "Mention the bot, DM it, or use `/ops`. `help CMD` shows one command in detail."


def help_nothing() -> str:
    """``help`` for someone the policy lets run nothing."""
    return "You may not run any command here. Ask an admin to add you to the policy."


def jobs_title(*, cluster: str) -> str:
    """Heading of the ``jobs`` page."""
    return f"Jobs on cluster {escape(cluster)}"


def jobs_empty(*, cluster: str) -> str:
    """``jobs`` with nothing in the last day."""
    return f"No jobs on cluster {code(cluster)} in the last day."


def timeline_title(*, scope: str) -> str:
    """Heading of the ``timeline`` page."""
    return f"Timeline of {escape(scope)}"
