"""The command reference as data: name, usage, summary and kubectl spellings for every command.

``help`` renders it in chat (with an example of each command), and the README's command table is generated from it, so the two can never
disagree with each other or with the grammar (tests parse every usage example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.messages import usage as messages
from shared.vocabulary import COMMAND_NAMES, READ_ONLY_COMMANDS


@dataclass(frozen=True)
class CommandReference:
    """One command as ``help`` shows it."""

    name: str
    """The policy name, as in :data:`shared.vocabulary.COMMAND_NAMES`: ``"upgrade nodes"``."""
    usage: str
    """How to write it, with UPPERCASE placeholders and ``[optional]`` parts."""
    summary: str
    """What it does, in one sentence."""
    example: str
    """The command written out with realistic values; it parses to this command."""
    aliases: tuple[str, ...]
    """kubectl-style spellings that are accepted too."""
    read_only: bool
    """Whether it changes nothing in the cluster."""
    area: str
    """Where ``help`` lists it, one of :data:`shared.messages.usage.AREAS`."""

    @property
    def parts(self) -> tuple[str, ...]:
        """The usage line's words, each bracketed group whole: ``("drain", "NODE", "[--force]", ...)``."""
        return usage_parts(self.usage)

    @property
    def short_usage(self) -> str:
        """The usage without its optional ``[--option]`` groups, as the ``help`` list shows it."""
        return " ".join(part for part in self.parts if not part.startswith("[-"))


@dataclass(frozen=True)
class HelpSheet:
    """What ``help`` shows one person: the commands covered, and which of them they may run here."""

    entries: tuple[CommandReference, ...]
    allowed: frozenset[str]
    topic: str | None = None
    """Set for ``help CMD``: every command of the topic is listed, allowed or not."""

    @property
    def shown(self) -> tuple[CommandReference, ...]:
        """The entries to list: all of a topic, or only the allowed ones for plain ``help``."""
        if self.topic is not None:
            return self.entries
        return tuple(entry for entry in self.entries if entry.name in self.allowed)


def help_sheet(*, allowed: Sequence[str], topic: str | None) -> HelpSheet:
    """The sheet of ``help`` (every command) or ``help TOPIC``, for someone allowed ``allowed``."""
    entries = command_reference() if topic is None else reference_for(topic)
    return HelpSheet(entries=entries, allowed=frozenset(allowed), topic=topic)


def command_reference() -> tuple[CommandReference, ...]:
    """Every command, in ``help`` order."""
    return tuple(_reference(name) for name in COMMAND_NAMES)


def reference_for(topic: str) -> tuple[CommandReference, ...]:
    """The commands ``help TOPIC`` covers: one command, or a group such as ``upgrade``; none if unknown.

    ``topic`` is what :class:`shared.commands.Help` carries, so aliases are already resolved.
    """
    if topic in COMMAND_NAMES:
        return (_reference(topic),)
    return tuple(_reference(name) for name in COMMAND_NAMES if name.split()[0] == topic and " " in name)


def usage_parts(usage: str) -> tuple[str, ...]:
    """``usage`` split at the spaces outside brackets."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in usage:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == " " and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return (*parts, current) if current else tuple(parts)


def _reference(name: str) -> CommandReference:
    return CommandReference(
        name=name,
        usage=messages.usage_line(name),
        summary=messages.summary(name),
        example=messages.example(name),
        aliases=messages.aliases(name),
        read_only=name in READ_ONLY_COMMANDS,
        area=messages.area(name),
    )
