"""A command as data: its policy name, its arguments and its cluster, as it travels between processes.

The grammar reads typed text once (:func:`shared.grammar.parse`); from then on the command travels as
an :class:`Invocation` (in the job's request, the approval record, the final job event, a card's Undo
button) and is rebuilt with :meth:`Invocation.command` wherever it is needed again. No sentence is
ever parsed back into a command.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

from shared import commands
from shared.command_words import arguments_of
from shared.jobs import json_safe

_TYPES = {kind.name: kind for kind in commands.COMMAND_TYPES}


class UnknownCommand(ValueError):
    """An invocation names no command this version knows, or arguments it does not take."""


@dataclasses.dataclass(frozen=True)
class Invocation:
    """One command as JSON-safe data; :meth:`command` gives the frozen command back."""

    name: str
    """The policy name (``drain``, ``upgrade nodes``)."""
    arguments: Mapping[str, Any]
    """The command's own fields, JSON-safe (see :func:`shared.command_words.arguments_of`)."""
    cluster: str | None = None
    """The ``--cluster`` it names; None: wherever it is run decides."""

    def command(self) -> commands.Command:
        """The command this stands for; :class:`UnknownCommand` when this version cannot build it."""
        kind = _TYPES.get(self.name)
        if kind is None:
            raise UnknownCommand(f"no command is named {self.name!r}")
        hints = _hints(kind)
        fields = {field.name for field in dataclasses.fields(kind)} - {"cluster"}
        unknown = set(self.arguments) - fields
        if unknown:
            raise UnknownCommand(f"{self.name} takes no {', '.join(sorted(unknown))}")
        values = {key: _typed(value, hints[key]) for key, value in self.arguments.items()}
        try:
            return kind(**values, cluster=self.cluster)
        except TypeError as error:
            raise UnknownCommand(f"{self.name}: {error}") from None

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``{"name": ..., "arguments": {...}, "cluster": ...}``."""
        return {"name": self.name, "arguments": dict(self.arguments), "cluster": self.cluster}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Invocation:
        """Rebuild an invocation written by :meth:`to_json`; :class:`UnknownCommand` if it is not one."""
        name, arguments, cluster = data.get("name"), data.get("arguments"), data.get("cluster")
        if not isinstance(name, str) or not isinstance(arguments, Mapping):
            raise UnknownCommand("not an invocation: it needs a name and arguments")
        return cls(
            name=name, arguments=dict(arguments), cluster=cluster if isinstance(cluster, str) else None
        )


def invocation_of(command: commands.Command) -> Invocation:
    """``command`` as data."""
    arguments = {key: json_safe(value) for key, value in arguments_of(command).items()}
    return Invocation(name=command.name, arguments=arguments, cluster=command.cluster)


def maybe_invocation(data: object) -> Invocation | None:
    """The invocation ``data`` holds (a JSON value read back), or None when it holds none."""
    if not isinstance(data, Mapping):
        return None
    try:
        return Invocation.from_json(data)
    except UnknownCommand:
        return None


def _hints(kind: type[commands.Command]) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _typed(value: Any, hint: Any) -> Any:
    """A JSON value back as the field's type: enums and tuples; everything else is JSON already."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.Enum):
            return option(value)
        if typing.get_origin(option) is tuple and isinstance(value, list | tuple):
            return tuple(value)
    return value
