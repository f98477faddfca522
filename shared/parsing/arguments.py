"""What a command was given, read from its words and checked, for the command's builder to use.

:func:`collect` reads the words after the verb into :class:`Arguments`: positionals, option values,
switches and, for free-text commands (``note TEXT``, ``incident open TITLE``, ``deny [REASON]``), the
text: everything after the verb and any leading options, exactly as normalised; if it starts with a
quoted word, that word alone is the text and options may follow it. The checking helpers of
:class:`Arguments` raise :class:`~shared.errors.UsageError` with the command's usage line.

Versions are normalised by :func:`normalize_version`: a ``v`` in front, numbers without leading zeros,
and as many parts as were given, so ``1.32`` is ``v1.32`` (a minor release; the planner picks its
patch) and ``V1.32.0`` is ``v1.32.0``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

from shared import commands as c
from shared.durations import parse_duration
from shared.errors import UsageError
from shared.messages import usage as messages
from shared.names import NameKind, is_valid_name
from shared.parsing.options import CLUSTER, DRY_RUN, NAMESPACE, Option, option_table, switch_value
from shared.parsing.words import Word, is_long_option, looks_like_option, undash, unquote
from shared.text import escape_for_chat

MAX_TIMEOUT_SECONDS = 86_400.0
MAX_TIMEOUT_TEXT = "24h"
TEXT_LIMITS = {"TEXT": 2000, "TITLE": 150, "REASON": 500}

_VERSION = re.compile(r"[vV]?([0-9]{1,4})\.([0-9]{1,4})(?:\.([0-9]{1,4}))?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")

_DEPLOYMENT_KINDS = frozenset({"deployment", "deployments", "deploy", "deployment.apps", "deployments.apps"})
_NODE_KINDS = frozenset({"node", "nodes", "no"})
_WORKLOAD_KINDS: dict[str, c.WorkloadKind] = {
    **dict.fromkeys(_DEPLOYMENT_KINDS, c.WorkloadKind.DEPLOYMENT),
    **dict.fromkeys(
        ("daemonset", "daemonsets", "ds", "daemonset.apps", "daemonsets.apps"), c.WorkloadKind.DAEMONSET
    ),
    **dict.fromkeys(
        ("statefulset", "statefulsets", "sts", "statefulset.apps", "statefulsets.apps"),
        c.WorkloadKind.STATEFULSET,
    ),
}
"""The kinds ``rollback``, ``history`` and ``status`` take as ``KIND/NAME``; a bare name is a Deployment."""


def normalize_version(text: str) -> str | None:
    """Return ``text`` as a canonical version (``"1.32"`` → ``"v1.32"``), or ``None`` if it is not one."""
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    return "v" + ".".join(str(int(part)) for part in match.groups() if part is not None)


def is_integer(value: str) -> bool:
    """Whether ``value`` is written as a whole number (a sign allowed, at most 12 digits)."""
    return _INTEGER.fullmatch(value) is not None


class Topics(Protocol):
    """What ``help TOPIC`` needs of the registry: which words name a command or a group of them."""

    def topic(self, words: tuple[str, ...]) -> str | None:
        """The command or group ``words`` name (aliases resolved), or ``None``."""

    def topics(self) -> list[str]:
        """Every command name and group word, for suggestions."""


@dataclass
class Arguments:
    """The words after a command's verb, sorted into positionals, option values, switches and text."""

    command: str
    """The command's policy name (``"backup secrets"``)."""
    usage: str
    """Its usage line, shown under every usage error."""
    topics: Topics
    placeholders: Mapping[str, str] = field(default_factory=dict)
    """What the command's own UPPERCASE placeholders mean, beyond the common ones (``DEPLOY``…)."""
    positionals: list[Word] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    switches: dict[str, bool] = field(default_factory=dict)
    text: str | None = None

    def error(self, problem: str) -> UsageError:
        """The usage error saying ``problem`` (already safe for chat), then how to write the command."""
        return UsageError(messages.usage_error(problem, usage=self.usage), command=self.command)

    def fail(self, problem: str) -> NoReturn:
        """Raise :meth:`error`."""
        raise self.error(problem)

    def at_most(self, count: int) -> None:
        """Refuse more than ``count`` positional arguments."""
        if len(self.positionals) > count:
            self.fail(messages.unexpected_arguments([word.value for word in self.positionals[count:]]))

    def required(self, index: int, placeholder: str) -> str:
        """The positional at ``index``; refuse its absence, naming ``placeholder``."""
        if index >= len(self.positionals):
            self.fail(self.missing(placeholder))
        return self.positionals[index].value

    def missing(self, placeholder: str) -> str:
        """The problem of a missing ``placeholder``, explained."""
        return messages.missing_argument(placeholder, meaning=self.placeholders.get(placeholder))

    def optional(self, index: int) -> str | None:
        """The positional at ``index``, if given."""
        return self.positionals[index].value if index < len(self.positionals) else None

    def switch(self, option: Option) -> bool:
        """Whether the switch ``option`` is on."""
        return self.switches.get(option.key, False)

    def name(self, kind: NameKind, value: str) -> str:
        """``value``, refused unless it is a valid name of ``kind``."""
        if not is_valid_name(kind, value):
            self.fail(messages.invalid_name(kind, value))
        return value

    def resource(self, kind: NameKind, value: str) -> str:
        """A node or deployment name, allowing kubectl's ``kind/name`` with a kind that fits."""
        if "/" in value:
            prefix, _, name = value.partition("/")
            kinds = _DEPLOYMENT_KINDS if kind is NameKind.DEPLOYMENT else _NODE_KINDS
            if prefix.lower() not in kinds:
                self.fail(messages.wrong_kind(value, expected=kind))
            value = name
        return self.name(kind, value)

    def deployment(self) -> str:
        """The first positional, as a deployment name."""
        return self.resource(NameKind.DEPLOYMENT, self.required(0, "DEPLOY"))

    def workload(self) -> tuple[c.WorkloadKind, str]:
        """A rollout's ``[KIND/]NAME``: a Deployment, or a DaemonSet or StatefulSet named by kind."""
        value = self.required(0, "DEPLOY")
        prefix, slash, name = value.partition("/")
        kind = _WORKLOAD_KINDS.get(prefix.lower()) if slash else c.WorkloadKind.DEPLOYMENT
        if kind is None:
            self.fail(messages.wrong_workload_kind(value))
        return kind, self.name(NameKind.DEPLOYMENT, name if slash else value)

    def node(self) -> str:
        """The first positional, as a node name."""
        return self.resource(NameKind.NODE, self.required(0, "NODE"))

    def namespace(self) -> str | None:
        """``--namespace``, if given."""
        value = self.values.get(NAMESPACE.key)
        return None if value is None else self.name(NameKind.NAMESPACE, value)

    def cluster(self) -> str | None:
        """``--cluster``, if given."""
        value = self.values.get(CLUSTER.key)
        return None if value is None else self.name(NameKind.CLUSTER, value)

    def dry_run(self) -> bool:
        """Whether ``--dry-run`` is on."""
        return self.switch(DRY_RUN)

    def version(self, value: str) -> str:
        """``value`` as a canonical version, refused unless it is one."""
        version = normalize_version(value)
        if version is None:
            self.fail(messages.invalid_version(value))
        return version

    def integer(self, what: str, value: str, *, minimum: int, maximum: int) -> int:
        """``value`` as a whole number from ``minimum`` to ``maximum``."""
        if not is_integer(value) or not minimum <= int(value) <= maximum:
            self.fail(messages.invalid_number(what, value, minimum=minimum, maximum=maximum))
        return int(value)

    def choice(self, what: str, value: str, choices: dict[str, str]) -> str:
        """The word ``value`` stands for among ``choices`` (case-insensitive)."""
        chosen = choices.get(value.lower())
        if chosen is None:
            self.fail(messages.invalid_choice(what, value, choices=sorted(set(choices.values()))))
        return chosen

    def duration(self, option: str, value: str) -> float:
        """``value`` as seconds, more than zero and at most :data:`MAX_TIMEOUT_SECONDS`."""
        seconds = math.nan
        if len(value) <= 32:
            try:
                seconds = parse_duration(value)
            except ValueError:
                seconds = math.nan
        if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
            self.fail(messages.invalid_duration(option, value, maximum=MAX_TIMEOUT_TEXT))
        return seconds

    def safe_text(self) -> str | None:
        """The free text, escaped for chat."""
        return None if self.text is None else escape_for_chat(self.text)


def collect(
    arguments: Arguments,
    words: Sequence[Word],
    normalized: str,
    *,
    options: tuple[Option, ...],
    text: str | None,
    text_required: bool,
) -> Arguments:
    """Read ``words`` (after the verb) into ``arguments``, given the command's options and text."""
    table = option_table(options)
    index = 0
    if text is not None:
        while index < len(words) and _is_known_option(words[index], table):
            index = _take_option(words, index, table, arguments)
        if index < len(words):
            first = words[index]
            if first.quoted:
                arguments.text = first.value
                index += 1
            else:
                arguments.text = normalized[first.start :]
                index = len(words)
    while index < len(words):
        word = words[index]
        if looks_like_option(word):
            index = _take_option(words, index, table, arguments)
        elif text is not None:
            arguments.fail(messages.quote_whole_text(text))
        else:
            arguments.positionals.append(word)
            index += 1
    if text is not None:
        _check_text(arguments, placeholder=text, required=text_required)
    return arguments


def _take_option(words: Sequence[Word], index: int, table: dict[str, Option], arguments: Arguments) -> int:
    """Record the option at ``words[index]``; return the index of the next unread word."""
    spelled, has_value, value = undash(words[index].value).partition("=")
    if spelled.startswith("--"):
        spelled = spelled.lower()
    option = table.get(spelled)
    if option is None and not spelled.startswith("--") and len(spelled) > 2:
        short = table.get(spelled[:2])
        if short is not None and short.takes_value:
            option, value, has_value = short, spelled[2:] + has_value + value, "="
    if option is None:
        known = sorted({spelling for spelling in table if spelling.startswith("--")})
        arguments.fail(
            messages.unknown_option(spelled, suggestions=difflib.get_close_matches(spelled, known, n=2))
        )
    if option.key in arguments.values or option.key in arguments.switches:
        arguments.fail(messages.option_repeated(option.key))
    if not option.takes_value:
        switch = True if not has_value else switch_value(option, value)
        if switch is None:
            arguments.fail(messages.flag_value(option.key, value))
        arguments.switches[option.key] = switch
        return index + 1
    if has_value:
        value = unquote(value)
        index += 1
    elif index + 1 < len(words) and not is_long_option(words[index + 1]):
        value = words[index + 1].value
        index += 2
    else:
        value = ""
    if not value:
        arguments.fail(messages.option_needs_value(option.key))
    arguments.values[option.key] = value
    return index


def _is_known_option(word: Word, table: dict[str, Option]) -> bool:
    if not looks_like_option(word):
        return False
    spelled = undash(word.value).partition("=")[0]
    if spelled.startswith("--"):
        return spelled.lower() in table
    short = table.get(spelled[:2])
    return spelled in table or (short is not None and short.takes_value)


def _check_text(arguments: Arguments, *, placeholder: str, required: bool) -> None:
    if arguments.text is None:
        if required:
            arguments.fail(arguments.missing(placeholder))
        return
    arguments.text = arguments.text.strip()
    if not arguments.text:
        arguments.fail(messages.empty_text(placeholder, meaning=arguments.placeholders.get(placeholder)))
    if len(arguments.text) > TEXT_LIMITS[placeholder]:
        arguments.fail(messages.text_too_long(placeholder, limit=TEXT_LIMITS[placeholder]))


Builder = Callable[[Arguments], c.Command]
"""Turns a command's collected arguments into its frozen value, or raises a usage error."""


def no_arguments(command: Callable[[], c.Command]) -> Builder:
    """The builder of a command that takes no arguments (``nodes``, ``jobs``)."""

    def build(arguments: Arguments) -> c.Command:
        arguments.at_most(0)
        return command()

    return build


def node_command(command: Callable[..., c.NodeCommand]) -> Builder:
    """The builder of a command whose one argument is a node (``cordon NODE``)."""

    def build(arguments: Arguments) -> c.Command:
        arguments.at_most(1)
        return command(node=arguments.node())

    return build


def deployment_command(command: Callable[..., c.DeploymentCommand]) -> Builder:
    """The builder of a command whose one argument is a deployment (``pause DEPLOY [-n NS]``)."""

    def build(arguments: Arguments) -> c.Command:
        arguments.at_most(1)
        return command(deployment=arguments.deployment(), namespace=arguments.namespace())

    return build


def rollout_command(command: Callable[..., c.RolloutCommand]) -> Builder:
    """The builder of a rollout command about ``[KIND/]NAME`` (``status ds/log-agent [-n NS]``)."""

    def build(arguments: Arguments) -> c.Command:
        arguments.at_most(1)
        kind, name = arguments.workload()
        return command(deployment=name, kind=kind, namespace=arguments.namespace())

    return build
