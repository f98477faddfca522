"""From chat text to a command value: :func:`parse` is the only way a :class:`Command` is made.

The grammar is table-driven, and the table is the command registry (:mod:`shared.registry`). A
message is normalised (:func:`shared.text.normalize`), split into words (:mod:`shared.parsing.words`),
stripped of a leading ``kubectl``, and matched against the words naming a command: its name (one or
two words, case-insensitive) or a kubectl spelling of it (``rollout undo``, ``set image``, ``get
nodes``). The rest is read by :func:`shared.parsing.arguments.collect` against the options the
command's entry lists (every command also takes ``--cluster NAME`` and ``--dry-run``; deployment
commands take ``-n``/``--namespace``), and the entry's builder makes the value.

Anything else raises :class:`UsageError`, whose message explains the problem and shows the usage line
(or, for an unknown verb, suggests close matches). Nothing else is ever raised.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence

from shared import commands as c
from shared.command_spec import CommandSpec, Registry
from shared.errors import UsageError
from shared.messages import usage as messages
from shared.parsing.arguments import Arguments, collect, normalize_version
from shared.parsing.words import Word, tokenize
from shared.registry import REGISTRY
from shared.text import normalize

__all__ = ["normalize_version", "parse"]


def parse(text: str, *, registry: Registry = REGISTRY) -> c.Command:
    """Turn one chat message into a command, or raise :class:`UsageError` saying how to fix it."""
    normalized = normalize(text)
    words = tokenize(normalized)
    if words and words[0].value.lower() == "kubectl":
        words = words[1:]
    if not words:
        raise UsageError(messages.empty_command())
    spec, rest = _resolve(words, registry=registry)
    arguments = collect(
        Arguments(command=spec.name, usage=spec.usage, topics=registry, placeholders=dict(spec.placeholders)),
        rest,
        normalized,
        options=spec.options,
        text=spec.text,
        text_required=spec.text_required,
    )
    command = spec.build(arguments)
    return dataclasses.replace(command, cluster=arguments.cluster(), dry_run=arguments.dry_run())


def _resolve(words: Sequence[Word], *, registry: Registry) -> tuple[CommandSpec, Sequence[Word]]:
    """Find the command the first one or two words name; return its entry and the remaining words."""
    first = words[0].value.lower()
    if len(words) > 1:
        name = registry.heads.get((first, words[1].value.lower()))
        if name is not None:
            return registry[name], words[2:]
    name = registry.heads.get((first,))
    if name is not None:
        return registry[name], words[1:]
    choices = registry.groups.get(first)
    if choices is None:
        suggestions = difflib.get_close_matches(first, registry.verbs, n=2)
        raise UsageError(messages.unknown_command(words[0].value, suggestions=suggestions))
    if len(words) == 1:
        raise UsageError(messages.missing_subcommand(first, choices=choices))
    second = words[1].value
    suggestions = difflib.get_close_matches(second.lower(), choices, n=2)
    raise UsageError(messages.unknown_subcommand(first, second, choices=choices, suggestions=suggestions))
