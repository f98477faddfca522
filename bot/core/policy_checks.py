"""Checks :class:`~bot.core.policy_reading.PolicyReader` makes beyond shapes and spellings.

An approval's ``ttl`` is a duration longer than zero; its ``count`` must not exceed the people its
approvers name, when they are all explicit user ids (such a request could never be approved). And dead
listings: rules are read in order and the first that matches decides, so a command listed in a rule
that an earlier one (naming it, or ``"*"``, over at least the same namespaces and clusters) always
decides first can never take effect. Each problem is reported where it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from bot.core.policy import ANY, DEFAULT_APPROVAL_TTL_SECONDS, Rule, is_user_id, names_command
from shared.durations import DurationError, parse_duration
from shared.messages import policy as messages
from shared.registry import Registry


def read_ttl(path: str, value: object, *, report: Callable[[str, str], None]) -> float:
    """An approval's time to live in seconds; the default, once reported, when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        report(path, messages.wrong_type(expected="a duration like 15m", got=messages.kind_of(value)))
        return DEFAULT_APPROVAL_TTL_SECONDS
    try:
        seconds = parse_duration(str(value))
    except DurationError as error:
        report(path, messages.bad_ttl(text=str(value), detail=str(error)))
        return DEFAULT_APPROVAL_TTL_SECONDS
    if seconds <= 0:
        report(path, messages.bad_ttl(text=str(value), detail="it must be longer than zero"))
        return DEFAULT_APPROVAL_TTL_SECONDS
    return seconds


def unreachable_count(
    count: int, *, approvers: Iterable[str], groups: Mapping[str, frozenset[str]]
) -> str | None:
    """The problem when every approver resolves to explicit user ids and ``count`` exceeds them."""
    people: set[str] = set()
    for name in approvers:
        people.update(groups.get(name, {name}))
    if all(is_user_id(person) for person in people) and count > len(people):
        return messages.count_exceeds_approvers(count=count, approvers=len(people))
    return None


def shadowed(
    index: int,
    rule: Rule,
    *,
    earlier: Sequence[tuple[int, Rule]],
    entry: Mapping[object, object],
    registry: Registry,
) -> list[tuple[str, str]]:
    """The (path, problem) of each command ``rules[index]`` lists that one of ``earlier`` decides first."""
    listed = entry.get("commands")
    if not isinstance(listed, list):
        return []
    problems: list[tuple[str, str]] = []
    for position, name in enumerate(listed):
        for earlier_index, earlier_rule in earlier:
            if _decides_first(earlier_rule, rule, command=str(name), registry=registry):
                problem = messages.shadowed_command(command=str(name), earlier=f"rules[{earlier_index}]")
                problems.append((f"rules[{index}].commands[{position}]", problem))
                break
    return problems


def _decides_first(earlier: Rule, later: Rule, *, command: str, registry: Registry) -> bool:
    """Whether ``earlier`` matches every request for ``command`` (or ``"*"``) that ``later`` would match."""
    spec = registry.get(command)
    named = command in earlier.commands if spec is None else names_command(earlier.commands, spec)
    if not named:
        return False
    return _covers(earlier.namespaces, later.namespaces) and _covers(earlier.clusters, later.clusters)


def _covers(wider: frozenset[str] | None, narrower: frozenset[str] | None) -> bool:
    if wider is None or ANY in wider:
        return True
    return narrower is not None and ANY not in narrower and narrower <= wider
