"""Freezes: ``freeze [CLUSTER] [--until TIME] REASON``, ``unfreeze [CLUSTER]``, and break-glass.

Who may freeze and unfreeze is the policy's ``freezes.by``; without a ``freezes`` entry nobody may.
While a cluster is frozen, every command that changes something there is refused with the reason
and who froze it. ``--break-glass`` lets one through: it then needs an approval from the policy's
``freezes.incident`` group on top of what its rule asks (a rule without approval asks just that
one), and the timeline marks it.

``CLUSTER`` is the first word when it names a cluster the bot knows (its own, a channel's, or one a
rule names); otherwise the whole text is the reason and the channel's cluster is frozen.

The grammar reads both as any command (their entries are in :mod:`shared.catalog.incidents`); what the
words mean here, given the clusters the bot knows, is :func:`read_freeze`.
"""

from __future__ import annotations

import dataclasses

from bot.core.policy import ANY, ApprovalRequirement, Policy, is_approver
from bot.core.ports import FreezePort
from shared import commands
from shared.errors import UsageError
from shared.freezes import Freeze
from shared.messages import freezes as messages
from shared.start_flags import split_start

BREAK_GLASS = "--break-glass"
"""The option that asks to run a command during a freeze."""


@dataclasses.dataclass(frozen=True)
class FreezeCommand:
    """``freeze``: the cluster named (None: the channel's), until when (None: until unfrozen), why."""

    cluster: str | None
    until_text: str | None
    reason: str


@dataclasses.dataclass(frozen=True)
class UnfreezeCommand:
    """``unfreeze``: the cluster named (None: the channel's)."""

    cluster: str | None


def read_freeze(
    command: commands.Freeze | commands.Unfreeze, *, clusters: frozenset[str]
) -> FreezeCommand | UnfreezeCommand:
    """What a parsed ``freeze``/``unfreeze`` asks: a first word naming a cluster in ``clusters`` is the
    cluster (unless ``--cluster`` named one), the rest the reason. Raises :class:`UsageError`."""
    if isinstance(command, commands.Unfreeze):
        named = command.named
        if named is not None and command.cluster is None and named in clusters:
            return UnfreezeCommand(cluster=named)
        if named is not None:
            raise UsageError(messages.freeze_usage(f"`unfreeze` takes no reason (`{named}`)"))
        return UnfreezeCommand(cluster=command.cluster)
    words = command.words.split()
    cluster = command.cluster
    if cluster is None and words and words[0] in clusters:
        cluster, words = words[0], words[1:]
    if not words:
        raise UsageError(messages.freeze_usage(messages.reason_needed()))
    return FreezeCommand(cluster=cluster, until_text=command.until, reason=" ".join(words))


def until_of(text: str, *, now: float) -> float:
    """When a ``--until`` ends: a time (``06:00``, ``mon 06:00``, ISO, in UTC) or a wait (``8h``)."""
    _, start = split_start(f"--in {text}" if text[:1].isdigit() and ":" not in text else f"--at {text}")
    assert start is not None
    return start.wanted(now=now, window=None)


def split_break_glass(text: str) -> tuple[str, bool]:
    """``text`` without ``--break-glass``, and whether it was there."""
    words = text.split()
    kept = [word for word in words if word.lower() != BREAK_GLASS]
    return " ".join(kept), len(kept) != len(words)


def may_freeze(policy: Policy, *, user: str, user_groups: frozenset[str]) -> bool:
    """Whether the policy's ``freezes.by`` names ``user``."""
    if policy.freezes is None:
        return False
    return is_approver(
        policy, ApprovalRequirement(approvers=policy.freezes.by), user=user, user_groups=user_groups
    )


def is_incident_approver(policy: Policy, *, user: str, user_groups: frozenset[str]) -> bool:
    """Whether ``user`` is in the incident group that approves break-glass."""
    if policy.freezes is None:
        return False
    requirement = ApprovalRequirement(approvers=policy.freezes.incident)
    return is_approver(policy, requirement, user=user, user_groups=user_groups)


def break_glass_requirement(policy: Policy, rule: ApprovalRequirement | None) -> ApprovalRequirement:
    """What a break-glass asks: the rule's approvals plus one from the incident group."""
    incident = policy.freezes.incident if policy.freezes is not None else ()
    if rule is None:
        return ApprovalRequirement(approvers=incident, count=1)
    approvers = tuple(dict.fromkeys((*rule.approvers, *incident)))
    return ApprovalRequirement(approvers=approvers, count=rule.count + 1, ttl_seconds=rule.ttl_seconds)


def known_clusters(policy: Policy, *, default: str) -> frozenset[str]:
    """The clusters ``freeze CLUSTER`` may name as its first word."""
    named = {cluster for rule in policy.rules for cluster in rule.clusters or () if cluster != ANY}
    named.update(cluster for _, cluster in policy.channel_clusters)
    return frozenset({default, *named})


@dataclasses.dataclass(frozen=True)
class FreezeOutcome:
    """What ``freeze``/``unfreeze`` did: the reply, whether only the author sees it, the timeline summary."""

    reply: str
    ephemeral: bool
    summary: str | None = None
    """Set when the freeze changed (recorded on the timeline)."""
    cluster: str = ""


def run_freeze(
    command: FreezeCommand | UnfreezeCommand,
    *,
    policy: Policy,
    freezes: FreezePort,
    user: str,
    user_groups: frozenset[str],
    cluster: str,
    now: float,
) -> FreezeOutcome:
    """Carry out ``freeze``/``unfreeze`` on ``cluster`` for ``user``, if the policy lets them."""
    if not may_freeze(policy, user=user, user_groups=user_groups):
        by = policy.freezes.by if policy.freezes is not None else ()
        return FreezeOutcome(messages.freeze_not_allowed(by=by), ephemeral=True)
    if isinstance(command, UnfreezeCommand):
        ended = freezes.clear(cluster)
        if ended is None:
            return FreezeOutcome(messages.not_frozen(cluster=cluster), ephemeral=True)
        text = messages.unfrozen(cluster=cluster, by=user)
        return FreezeOutcome(
            text, ephemeral=False, summary=messages.unfreeze_summary(cluster=cluster), cluster=cluster
        )
    try:
        until = until_of(command.until_text, now=now) if command.until_text else None
    except UsageError as error:
        return FreezeOutcome(messages.freeze_usage(str(error).rstrip(".")), ephemeral=True)
    freeze = Freeze(cluster=cluster, reason=command.reason, by=user, at=now, until=until)
    if not freezes.put(freeze):
        held = freezes.get(cluster)
        assert held is not None
        return FreezeOutcome(
            messages.already_frozen(cluster=cluster, by=held.by, reason=held.reason), ephemeral=True
        )
    text = messages.frozen(cluster=cluster, by=user, reason=command.reason, until=until)
    summary = messages.freeze_summary(cluster=cluster, reason=command.reason)
    return FreezeOutcome(text, ephemeral=False, summary=summary, cluster=cluster)


@dataclasses.dataclass(frozen=True)
class Glass:
    """A command let through a freeze: what its approval now asks, and the incident group it needs."""

    requirement: ApprovalRequirement
    incident: tuple[str, ...]
    freeze: Freeze


def freeze_gate(
    policy: Policy,
    *,
    freeze: Freeze | None,
    command: str,
    cluster: str,
    break_glass: bool,
    rule_approval: ApprovalRequirement | None,
) -> str | Glass | None:
    """For a command that changes something: a refusal (str), a break-glass (:class:`Glass`), or None."""
    if freeze is None:
        return messages.break_glass_not_frozen() if break_glass else None
    incident = policy.freezes.incident if policy.freezes is not None else ()
    if not break_glass or not incident:
        return messages.refused_during_freeze(
            command=command,
            cluster=cluster,
            by=freeze.by,
            reason=freeze.reason,
            until=freeze.until,
            incident=incident,
        )
    return Glass(requirement=break_glass_requirement(policy, rule_approval), incident=incident, freeze=freeze)
