"""What the bot answers when a message goes past one of its limits (``bot.core.limits``)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.text_safety import code


def too_long(*, limit: int) -> str:
    """A message longer than any command."""
    return f"That message is too long to be a command (at most {limit} characters); nothing was done."


def too_many_arguments(*, limit: int) -> str:
    """A command of too many words."""
    return f"That command has too many words (at most {limit}); nothing was done. Try `help`."


def slow_down(*, limit: int, per_channel: bool) -> str:
    """The first refusal of a burst (the rest of it gets no answer)."""
    who = "this channel sends" if per_channel else "you send"
    return (
        f"Slow down: {who} more than {limit} commands a minute. Nothing more is done this minute "
        "(and not said again); try again in a minute."
    )


def unknown_cluster(*, cluster: str, known: Sequence[str]) -> str:
    """``--cluster`` naming a cluster nobody configured."""
    names = ", ".join(code(name) for name in known)
    return f"There is no cluster {code(cluster)}; the clusters here are {names}. Nothing was done."


def too_many_pending(*, limit: int) -> str:
    """A request needing approval from someone with too many waiting already."""
    return (
        f"You already have {limit} requests waiting for approval; `cancel` one, or wait for answers, "
        "before asking another. Nothing was done."
    )
