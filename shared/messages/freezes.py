"""Sentences about freezes: who froze a cluster and why, refusals during a freeze, and break-glass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shared.text_safety import code, escape


def _when(at: float) -> str:
    return f"{dt.datetime.fromtimestamp(at, dt.UTC):%a %d %b %H:%M} UTC"


def _who(names: Sequence[str]) -> str:
    return ", ".join(code(name) for name in names) or "nobody"


def until_text(until: float | None) -> str:
    """`` until Mon 08 Dec 06:00 UTC``, or `` until someone unfreezes it``."""
    return f" until {_when(until)}" if until is not None else " until someone unfreezes it"


def frozen(*, cluster: str, by: str, reason: str, until: float | None) -> str:
    """The reply to ``freeze``."""
    return (
        f":snowflake: {code(cluster)} is frozen{until_text(until)}, by <@{escape(by)}>: {escape(reason)}. "
        "Commands that change something are refused; `unfreeze` ends it."
    )


def unfrozen(*, cluster: str, by: str) -> str:
    """The reply to ``unfreeze``."""
    return f"{code(cluster)} is no longer frozen (unfrozen by <@{escape(by)}>)."


def not_frozen(*, cluster: str) -> str:
    """``unfreeze`` on a cluster with no freeze."""
    return f"{code(cluster)} is not frozen; there is nothing to unfreeze."


def already_frozen(*, cluster: str, by: str, reason: str) -> str:
    """``freeze`` on a frozen cluster."""
    return f"{code(cluster)} is already frozen by <@{escape(by)}>: {escape(reason)}. `unfreeze` first."


def freeze_not_allowed(*, by: Sequence[str]) -> str:
    """Someone the policy does not name tries to freeze or unfreeze."""
    if not by:
        return "Nobody may freeze here: the policy has no `freezes` entry. Ask a policy admin to add one."
    return f"Only {_who(by)} may freeze or unfreeze (the policy's `freezes.by`)."


def freeze_usage(problem: str) -> str:
    """``freeze`` that cannot be read."""
    return (
        f"{problem}. Usage: `freeze [CLUSTER] [--until TIME] REASON`, `unfreeze [CLUSTER]` "
        "(TIME as `06:00`, `mon 06:00`, `2026-12-08T06:00` UTC, or a wait like `8h`)."
    )


def reason_needed() -> str:
    """``freeze`` with no reason."""
    return "Say why the cluster is frozen"


def refused_during_freeze(
    *, command: str, cluster: str, by: str, reason: str, until: float | None, incident: Sequence[str]
) -> str:
    """A command that changes something, typed during a freeze."""
    glass = (
        f" In an emergency, add `--break-glass`: it then needs an approval from {_who(incident)} as well."
        if incident
        else ""
    )
    return (
        f"Refused: {code(cluster)} is frozen{until_text(until)} by <@{escape(by)}>: {escape(reason)}. "
        f"`{escape(command)}` changes something, so it waits for `unfreeze`.{glass}"
    )


def break_glass_needs_incident(*, incident: Sequence[str]) -> str:
    """Said with the plan-first reply of a break-glass request."""
    return f":rotating_light: Break-glass during a freeze: one approval must come from {_who(incident)}."


def break_glass_not_frozen() -> str:
    """``--break-glass`` on a cluster that is not frozen."""
    return "`--break-glass` is only for a frozen cluster, and this one is not frozen: leave it out."


def still_needs_incident(*, incident: Sequence[str]) -> str:
    """Enough approvals counted, but none from the incident group of a break-glass request."""
    return f"Approval recorded; this break-glass still needs one from {_who(incident)}."


def frozen_at_start(*, job_id: str, cluster: str, by: str, reason: str) -> str:
    """A deferred job found its cluster frozen when it was to start."""
    return (
        f"`{job_id}` was void: {code(cluster)} was frozen by <@{escape(by)}> while it waited "
        f"({escape(reason)}). Nothing was changed; ask again after `unfreeze`."
    )


def break_glass_summary(*, description: str, reason: str) -> str:
    """The timeline entry of a break-glass request."""
    return f"break-glass during a freeze: {description} (freeze: {reason})"


def freeze_summary(*, cluster: str, reason: str) -> str:
    """The timeline entry of a freeze."""
    return f"froze {cluster}: {reason}"


def unfreeze_summary(*, cluster: str) -> str:
    """The timeline entry of an unfreeze."""
    return f"unfroze {cluster}"
