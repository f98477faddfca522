"""From chat text to a command value: :func:`parse` is the only way a :class:`Command` is made.

The grammar is small and table-driven. A message is normalised (:func:`shared.text.normalize`),
split into words (a word opening with ``"`` or ``'`` runs to the matching quote that ends a word; an
unmatched quote is just a character, so ``don't`` needs no quoting), stripped of a leading
``kubectl``, and matched against the verbs of :data:`shared.vocabulary.COMMAND_NAMES` (one or two
words, case-insensitive) or a kubectl spelling (``rollout undo``, ``set image``, ``get nodes``).

Options may come anywhere after the verb, as ``--name value``, ``--name=value``, ``-n value``,
``-n=value`` or ``-nvalue``; a leading en or em dash counts as ``--``, because chat apps turn ``--``
into a dash. Switches also take ``=true``/``=false`` (``--dry-run`` also ``=client``/``=server`` and
``=none``). Every command takes ``--cluster NAME`` and ``--dry-run``; deployment commands take
``-n``/``--namespace``. A word like ``-3`` is an argument, not an option.

Free text (``note TEXT``, ``incident open TITLE``, ``deny [REASON]``) is everything after the verb and
any leading options, exactly as normalised; if it starts with a quoted word, that word alone is the
text and options may follow it.

Versions are normalised by :func:`normalize_version`: a ``v`` in front, numbers without leading zeros,
and as many parts as were given, so ``1.32`` is ``v1.32`` (a minor release; the planner picks its
patch) and ``V1.32.0`` is ``v1.32.0``.

Anything else raises :class:`UsageError`, whose message explains the problem and shows the usage line
(or, for an unknown verb, suggests close matches). Nothing else is ever raised.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from shared import commands as c
from shared.durations import parse_duration
from shared.errors import UsageError
from shared.messages import usage as messages
from shared.names import APPROVAL_PREFIX, NameKind, is_valid_name
from shared.text import escape_for_chat, normalize
from shared.vocabulary import COMMAND_NAMES

MAX_REPLICAS = 10_000
MAX_GRACE_PERIOD = 86_400
MAX_REVISION = 2**31 - 1
MAX_TIMEOUT_SECONDS = 86_400.0
MAX_TIMEOUT_TEXT = "24h"
TEXT_LIMITS = {"TEXT": 2000, "TITLE": 150, "REASON": 500}

_VERSION = re.compile(r"[vV]?([0-9]{1,4})\.([0-9]{1,4})(?:\.([0-9]{1,4}))?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
_INT_OR_PERCENT = re.compile(r"([0-9]{1,9})(%?)")
_NEGATIVE_NUMBER = re.compile(r"-[0-9.]+")
_DASHES = ("\u2014", "\u2013")  # em dash, en dash: what chat apps make of "--"
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_DRY_RUN_ON = frozenset({"client", "server"})
_DRY_RUN_OFF = frozenset({"none"})

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


def parse(text: str) -> c.Command:
    """Turn one chat message into a command, or raise :class:`UsageError` saying how to fix it."""
    normalized = normalize(text)
    words = _tokenize(normalized)
    if words and words[0].value.lower() == "kubectl":
        words = words[1:]
    if not words:
        raise UsageError(messages.empty_command())
    syntax, rest = _resolve(words)
    arguments = _collect(syntax, rest, normalized)
    command = syntax.build(arguments)
    return dataclasses.replace(command, cluster=arguments.cluster(), dry_run=arguments.dry_run())


# ---------------------------------------------------------------------------------------------- words


@dataclass(frozen=True)
class _Word:
    value: str
    quoted: bool
    start: int


def _tokenize(text: str) -> list[_Word]:
    """Split normalised text (single spaces) into words, honouring quotes that close at a word end."""
    words: list[_Word] = []
    position = 0
    while position < len(text):
        if text[position] == " ":
            position += 1
            continue
        quote = text[position]
        if quote in "\"'":
            closing = text.find(quote, position + 1)
            while closing != -1 and closing + 1 < len(text) and text[closing + 1] != " ":
                closing = text.find(quote, closing + 1)
            if closing != -1:
                words.append(_Word(text[position + 1 : closing], quoted=True, start=position))
                position = closing + 1
                continue
        end = text.find(" ", position)
        end = len(text) if end == -1 else end
        words.append(_Word(text[position:end], quoted=False, start=position))
        position = end
    return words


# -------------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Option:
    key: str
    """The canonical spelling, used in messages and as the key of parsed values."""
    takes_value: bool
    spellings: tuple[str, ...] = ()

    def all_spellings(self) -> tuple[str, ...]:
        return (self.key, *self.spellings)


_CLUSTER = _Option("--cluster", takes_value=True)
_DRY_RUN = _Option("--dry-run", takes_value=False)
_NAMESPACE = _Option("--namespace", takes_value=True, spellings=("-n",))


@dataclass
class _Arguments:
    command: str
    positionals: list[_Word] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    switches: dict[str, bool] = field(default_factory=dict)
    text: str | None = None

    def error(self, problem: str) -> UsageError:
        return UsageError(messages.usage_error(problem, command=self.command), command=self.command)

    def fail(self, problem: str) -> NoReturn:
        raise self.error(problem)

    def at_most(self, count: int) -> None:
        if len(self.positionals) > count:
            self.fail(messages.unexpected_arguments([word.value for word in self.positionals[count:]]))

    def required(self, index: int, placeholder: str) -> str:
        if index >= len(self.positionals):
            self.fail(messages.missing_argument(placeholder))
        return self.positionals[index].value

    def optional(self, index: int) -> str | None:
        return self.positionals[index].value if index < len(self.positionals) else None

    def switch(self, option: _Option) -> bool:
        return self.switches.get(option.key, False)

    def name(self, kind: NameKind, value: str) -> str:
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
        return self.resource(NameKind.NODE, self.required(0, "NODE"))

    def namespace(self) -> str | None:
        value = self.values.get(_NAMESPACE.key)
        return None if value is None else self.name(NameKind.NAMESPACE, value)

    def cluster(self) -> str | None:
        value = self.values.get(_CLUSTER.key)
        return None if value is None else self.name(NameKind.CLUSTER, value)

    def dry_run(self) -> bool:
        return self.switch(_DRY_RUN)

    def version(self, value: str) -> str:
        version = normalize_version(value)
        if version is None:
            self.fail(messages.invalid_version(value))
        return version

    def integer(self, what: str, value: str, *, minimum: int, maximum: int) -> int:
        if _INTEGER.fullmatch(value) is None or not minimum <= int(value) <= maximum:
            self.fail(messages.invalid_number(what, value, minimum=minimum, maximum=maximum))
        return int(value)

    def choice(self, what: str, value: str, choices: dict[str, str]) -> str:
        chosen = choices.get(value.lower())
        if chosen is None:
            self.fail(messages.invalid_choice(what, value, choices=sorted(set(choices.values()))))
        return chosen


def _looks_like_option(word: _Word) -> bool:
    value = word.value
    if word.quoted or len(value) < 2 or _NEGATIVE_NUMBER.fullmatch(value):
        return False
    return value.startswith("-") or value.startswith(_DASHES)


def _undash(value: str) -> str:
    return "--" + value[1:] if value.startswith(_DASHES) else value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _switch_value(option: _Option, value: str) -> bool | None:
    lowered = value.lower()
    if lowered in _TRUE or (option is _DRY_RUN and lowered in _DRY_RUN_ON):
        return True
    if lowered in _FALSE or (option is _DRY_RUN and lowered in _DRY_RUN_OFF):
        return False
    return None


def _take_option(words: Sequence[_Word], index: int, table: dict[str, _Option], arguments: _Arguments) -> int:
    """Record the option at ``words[index]``; return the index of the next unread word."""
    spelled, has_value, value = _undash(words[index].value).partition("=")
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
        switch = True if not has_value else _switch_value(option, value)
        if switch is None:
            arguments.fail(messages.flag_value(option.key, value))
        arguments.switches[option.key] = switch
        return index + 1
    if has_value:
        value = _unquote(value)
        index += 1
    elif index + 1 < len(words) and not _is_long_option(words[index + 1]):
        value = words[index + 1].value
        index += 2
    else:
        value = ""
    if not value:
        arguments.fail(messages.option_needs_value(option.key))
    arguments.values[option.key] = value
    return index


def _is_long_option(word: _Word) -> bool:
    return _looks_like_option(word) and _undash(word.value).startswith("--")


def _is_known_option(word: _Word, table: dict[str, _Option]) -> bool:
    if not _looks_like_option(word):
        return False
    spelled = _undash(word.value).partition("=")[0]
    if spelled.startswith("--"):
        return spelled.lower() in table
    short = table.get(spelled[:2])
    return spelled in table or (short is not None and short.takes_value)


# --------------------------------------------------------------------------------------------- syntax


@dataclass(frozen=True)
class _Syntax:
    name: str
    build: Callable[[_Arguments], c.Command]
    options: tuple[_Option, ...] = ()
    text: str | None = None
    """For free-text commands, the placeholder of the text (``TEXT``, ``TITLE``, ``REASON``)."""
    text_required: bool = True

    def option_table(self) -> dict[str, _Option]:
        return {
            spelling: option
            for option in (*self.options, _CLUSTER, _DRY_RUN)
            for spelling in option.all_spellings()
        }


def _collect(syntax: _Syntax, words: Sequence[_Word], normalized: str) -> _Arguments:
    arguments = _Arguments(command=syntax.name)
    table = syntax.option_table()
    index = 0
    if syntax.text is not None:
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
        if _looks_like_option(word):
            index = _take_option(words, index, table, arguments)
        elif syntax.text is not None:
            arguments.fail(messages.quote_whole_text(syntax.text))
        else:
            arguments.positionals.append(word)
            index += 1
    if syntax.text is not None:
        _check_text(syntax, arguments)
    return arguments


def _check_text(syntax: _Syntax, arguments: _Arguments) -> None:
    placeholder = syntax.text or ""
    if arguments.text is None:
        if syntax.text_required:
            arguments.fail(messages.missing_argument(placeholder))
        return
    arguments.text = arguments.text.strip()
    if not arguments.text:
        arguments.fail(messages.empty_text(placeholder))
    if len(arguments.text) > TEXT_LIMITS[placeholder]:
        arguments.fail(messages.text_too_long(placeholder, limit=TEXT_LIMITS[placeholder]))


def _safe_text(arguments: _Arguments) -> str | None:
    return None if arguments.text is None else escape_for_chat(arguments.text)


# ------------------------------------------------------------------------------------------- builders


def _no_arguments(command: Callable[[], c.Command]) -> Callable[[_Arguments], c.Command]:
    def build(arguments: _Arguments) -> c.Command:
        arguments.at_most(0)
        return command()

    return build


def _node_command(command: Callable[..., c.NodeCommand]) -> Callable[[_Arguments], c.Command]:
    def build(arguments: _Arguments) -> c.Command:
        arguments.at_most(1)
        return command(node=arguments.node())

    return build


def _deployment_command(command: Callable[..., c.DeploymentCommand]) -> Callable[[_Arguments], c.Command]:
    def build(arguments: _Arguments) -> c.Command:
        arguments.at_most(1)
        return command(deployment=arguments.deployment(), namespace=arguments.namespace())

    return build


def _rollout_command(command: Callable[..., c.RolloutCommand]) -> Callable[[_Arguments], c.Command]:
    def build(arguments: _Arguments) -> c.Command:
        arguments.at_most(1)
        kind, name = arguments.workload()
        return command(deployment=name, kind=kind, namespace=arguments.namespace())

    return build


def _build_help(arguments: _Arguments) -> c.Command:
    words = [word.value.lower() for word in arguments.positionals]
    if words[:1] == ["kubectl"]:
        words = words[1:]
    if not words:
        return c.Help()
    topic = " ".join(words)
    if topic in COMMAND_NAMES or topic in _GROUPS:
        return c.Help(topic=topic)
    alias = _ALIASES.get(tuple(words))
    if alias is not None:
        return c.Help(topic=alias)
    known = [*COMMAND_NAMES, *_GROUPS]
    suggestions = difflib.get_close_matches(topic, known, n=2)
    raise arguments.error(messages.unknown_help_topic(topic, suggestions=suggestions))


_FORCE = _Option("--force", takes_value=False)
_DELETE_EMPTYDIR_DATA = _Option(
    "--delete-emptydir-data", takes_value=False, spellings=("--delete-local-data",)
)
_IGNORE_DAEMONSETS = _Option("--ignore-daemonsets", takes_value=False)
_GRACE_PERIOD = _Option("--grace-period", takes_value=True)
_TIMEOUT = _Option("--timeout", takes_value=True)


def _build_drain(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    node = arguments.node()
    grace_period: int | None = None
    raw_grace = arguments.values.get(_GRACE_PERIOD.key)
    if raw_grace is not None:
        if _INTEGER.fullmatch(raw_grace) is None or not 0 <= int(raw_grace) <= MAX_GRACE_PERIOD:
            arguments.fail(messages.invalid_grace_period(raw_grace, maximum=MAX_GRACE_PERIOD))
        grace_period = int(raw_grace)
    timeout: float | None = None
    raw_timeout = arguments.values.get(_TIMEOUT.key)
    if raw_timeout is not None:
        timeout = _duration(arguments, _TIMEOUT.key, raw_timeout)
    return c.Drain(
        node=node,
        force=arguments.switch(_FORCE),
        delete_emptydir_data=arguments.switch(_DELETE_EMPTYDIR_DATA),
        grace_period=grace_period,
        timeout=timeout,
    )


def _duration(arguments: _Arguments, option: str, value: str) -> float:
    seconds = math.nan
    if len(value) <= 32:
        try:
            seconds = parse_duration(value)
        except ValueError:
            seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        arguments.fail(messages.invalid_duration(option, value, maximum=MAX_TIMEOUT_TEXT))
    return seconds


_TO_REVISION = _Option("--to-revision", takes_value=True)


def _build_rollback(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    kind, name = arguments.workload()
    raw = arguments.values.get(_TO_REVISION.key)
    revision = None
    if raw is not None:
        revision = arguments.integer("`--to-revision`", raw, minimum=0, maximum=MAX_REVISION)
    return c.Rollback(deployment=name, kind=kind, namespace=arguments.namespace(), to_revision=revision)


_REPLICAS = _Option("--replicas", takes_value=True)


def _build_scale(arguments: _Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    positional = arguments.optional(1)
    option = arguments.values.get(_REPLICAS.key)
    if positional is not None and option is not None:
        arguments.fail(messages.conflicting("REPLICAS", "`--replicas`"))
    raw = positional if positional is not None else option
    if raw is None:
        arguments.fail(messages.missing_argument("REPLICAS"))
    replicas = arguments.integer("REPLICAS", raw, minimum=0, maximum=MAX_REPLICAS)
    return c.Scale(deployment=deployment, namespace=arguments.namespace(), replicas=replicas)


def _build_image(arguments: _Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    spec = arguments.required(1, "IMAGE")
    container: str | None = None
    if "=" in spec:
        container_name, _, spec = spec.partition("=")
        container = arguments.name(NameKind.CONTAINER, container_name)
    image = arguments.name(NameKind.IMAGE, spec)
    return c.Image(deployment=deployment, namespace=arguments.namespace(), container=container, image=image)


_MAX_SURGE = _Option("--max-surge", takes_value=True)
_MAX_UNAVAILABLE = _Option("--max-unavailable", takes_value=True)
_STRATEGY_TYPES = {
    "rolling": c.StrategyType.ROLLING_UPDATE,
    "rollingupdate": c.StrategyType.ROLLING_UPDATE,
    "rolling-update": c.StrategyType.ROLLING_UPDATE,
    "recreate": c.StrategyType.RECREATE,
}


def _build_strategy(arguments: _Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    raw_type = arguments.required(1, "STRATEGY")
    strategy = _STRATEGY_TYPES.get(raw_type.lower())
    if strategy is None:
        arguments.fail(messages.invalid_choice("STRATEGY", raw_type, choices=("rolling", "recreate")))
    limits: dict[str, int | str | None] = {}
    for option in (_MAX_SURGE, _MAX_UNAVAILABLE):
        raw = arguments.values.get(option.key)
        if raw is not None and strategy is c.StrategyType.RECREATE:
            arguments.fail(messages.rolling_only_option(option.key))
        limits[option.key] = None if raw is None else _int_or_percent(arguments, option, raw)
    surge, unavailable = limits[_MAX_SURGE.key], limits[_MAX_UNAVAILABLE.key]
    if surge in (0, "0%") and unavailable in (0, "0%"):
        arguments.fail(messages.surge_and_unavailable_both_zero())
    return c.Strategy(
        deployment=deployment,
        namespace=arguments.namespace(),
        strategy=strategy,
        max_surge=surge,
        max_unavailable=unavailable,
    )


def _int_or_percent(arguments: _Arguments, option: _Option, value: str) -> int | str:
    match = _INT_OR_PERCENT.fullmatch(value)
    if match is None:
        arguments.fail(messages.invalid_int_or_percent(option.key, value))
    number = int(match.group(1))
    if not match.group(2):
        return number
    if option is _MAX_UNAVAILABLE and number > 100:
        arguments.fail(messages.percent_over_hundred(option.key))
    return f"{number}%"


def _build_upgrade_plan(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    return c.UpgradePlan(version=None if raw is None else arguments.version(raw))


def _build_upgrade_control_plane(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    return c.UpgradeControlPlane(version=arguments.version(arguments.required(0, "VERSION")))


_NODE_STRATEGY = _Option("--strategy", takes_value=True)
_NODES = _Option("--nodes", takes_value=True)
_NODE_STRATEGIES = {strategy.value: strategy.value for strategy in c.NodeUpgradeStrategy}


def _build_upgrade_nodes(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    version = arguments.version(arguments.required(0, "VERSION"))
    strategy = c.NodeUpgradeStrategy.ONE_AT_A_TIME
    raw_strategy = arguments.values.get(_NODE_STRATEGY.key)
    if raw_strategy is not None:
        strategy = c.NodeUpgradeStrategy(arguments.choice("`--strategy`", raw_strategy, _NODE_STRATEGIES))
    nodes: list[str] = []
    raw_nodes = arguments.values.get(_NODES.key)
    if raw_nodes is not None:
        for entry in raw_nodes.split(","):
            if not entry:
                arguments.fail(messages.empty_node_list())
            node = arguments.resource(NameKind.NODE, entry)
            if node not in nodes:
                nodes.append(node)
    return c.UpgradeNodes(
        version=version,
        strategy=strategy,
        nodes=tuple(nodes),
        force=arguments.switch(_FORCE),
        delete_emptydir_data=arguments.switch(_DELETE_EMPTYDIR_DATA),
    )


_ALL_NAMESPACES = _Option("--all", takes_value=False, spellings=("--all-namespaces", "-A"))
_INCLUDE_SECRETS = _Option("--include-secrets", takes_value=False)


def _build_backup_config(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    positional = arguments.optional(0)
    option = arguments.values.get(_NAMESPACE.key)
    everything = arguments.switch(_ALL_NAMESPACES)
    if positional is not None and option is not None:
        arguments.fail(messages.conflicting("NAMESPACE", "`--namespace`"))
    raw = positional if positional is not None else option
    if raw is not None and everything:
        arguments.fail(messages.conflicting("a namespace", "`--all`"))
    namespace = None if raw is None else arguments.name(NameKind.NAMESPACE, raw)
    secrets = arguments.command == "backup secrets" or arguments.switch(_INCLUDE_SECRETS)
    kind = c.BackupSecrets if secrets else c.BackupConfig
    return kind(namespace=namespace, all_namespaces=everything)


def _build_backup_show(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    return c.BackupShow(backup=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "BACKUP")))


def _build_backup_restore(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    backup = arguments.name(NameKind.SNAPSHOT, arguments.required(0, "BACKUP"))
    return c.BackupRestore(backup=backup, namespace=arguments.namespace())


def _build_etcd_status(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    return c.EtcdStatus(snapshot=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "SNAPSHOT")))


def _build_etcd_restore(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    return c.EtcdRestore(snapshot=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "SNAPSHOT")))


def _build_cancel(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    return c.Cancel(job=arguments.name(NameKind.JOB, arguments.required(0, "JOB")))


def _build_incident_open(arguments: _Arguments) -> c.Command:
    return c.IncidentOpen(title=_safe_text(arguments) or "")


def _build_note(arguments: _Arguments) -> c.Command:
    return c.Note(text=_safe_text(arguments) or "")


def _build_approve(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    return c.Approve(approval_id=None if raw is None else arguments.name(NameKind.APPROVAL, raw))


def _build_deny(arguments: _Arguments) -> c.Command:
    """``deny [APPROVAL] [REASON]``: a first word that starts with ``apr-`` names the request."""
    text = arguments.text
    approval_id = None
    if text is not None and text.startswith(APPROVAL_PREFIX):
        first, _, rest = text.partition(" ")
        approval_id = arguments.name(NameKind.APPROVAL, first)
        arguments.text = rest.strip() or None
    return c.Deny(reason=_safe_text(arguments), approval_id=approval_id)


_EXPORT = _Option("--export", takes_value=True)
_EXPORT_FORMATS = {"md": "md", "markdown": "md", "json": "json"}
_LINK = _Option("--link", takes_value=False)
_REVOKE_LINKS = _Option("--revoke-links", takes_value=False)


def _build_timeline(arguments: _Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    incident = None if raw is None else arguments.name(NameKind.INCIDENT, raw)
    raw_export = arguments.values.get(_EXPORT.key)
    export = None
    if raw_export is not None:
        export = c.ExportFormat(arguments.choice("`--export`", raw_export, _EXPORT_FORMATS))
    link, revoke = arguments.switch(_LINK), arguments.switch(_REVOKE_LINKS)
    if export is not None and (link or revoke):
        arguments.fail(messages.conflicting("`--export`", "`--revoke-links`" if revoke else "`--link`"))
    if link and revoke:
        arguments.fail(messages.conflicting("`--link`", "`--revoke-links`"))
    return c.Timeline(incident=incident, export=export, link=link, revoke_links=revoke)


_SYNTAXES: tuple[_Syntax, ...] = (
    _Syntax("help", _build_help),
    _Syntax("nodes", _no_arguments(c.Nodes)),
    _Syntax("status", _rollout_command(c.Status), (_NAMESPACE,)),
    _Syntax("history", _rollout_command(c.History), (_NAMESPACE,)),
    _Syntax("jobs", _no_arguments(c.Jobs)),
    _Syntax("cordon", _node_command(c.Cordon)),
    _Syntax("uncordon", _node_command(c.Uncordon)),
    _Syntax(
        "drain",
        _build_drain,
        (_FORCE, _DELETE_EMPTYDIR_DATA, _IGNORE_DAEMONSETS, _GRACE_PERIOD, _TIMEOUT),
    ),
    _Syntax("maintain", _node_command(c.Maintain)),
    _Syntax("unmaintain", _node_command(c.Unmaintain)),
    _Syntax("rollback", _build_rollback, (_NAMESPACE, _TO_REVISION)),
    _Syntax("restart", _deployment_command(c.Restart), (_NAMESPACE,)),
    _Syntax("scale", _build_scale, (_NAMESPACE, _REPLICAS)),
    _Syntax("image", _build_image, (_NAMESPACE,)),
    _Syntax("strategy", _build_strategy, (_NAMESPACE, _MAX_SURGE, _MAX_UNAVAILABLE)),
    _Syntax("pause", _deployment_command(c.Pause), (_NAMESPACE,)),
    _Syntax("resume", _deployment_command(c.Resume), (_NAMESPACE,)),
    _Syntax("upgrade plan", _build_upgrade_plan),
    _Syntax("upgrade control-plane", _build_upgrade_control_plane),
    _Syntax("upgrade nodes", _build_upgrade_nodes, (_NODE_STRATEGY, _NODES, _FORCE, _DELETE_EMPTYDIR_DATA)),
    _Syntax("backup config", _build_backup_config, (_NAMESPACE, _ALL_NAMESPACES, _INCLUDE_SECRETS)),
    _Syntax("backup secrets", _build_backup_config, (_NAMESPACE, _ALL_NAMESPACES)),
    _Syntax("backup list", _no_arguments(c.BackupList)),
    _Syntax("backup show", _build_backup_show),
    _Syntax("backup restore", _build_backup_restore, (_NAMESPACE,)),
    _Syntax("etcd snapshot", _no_arguments(c.EtcdSnapshot)),
    _Syntax("etcd status", _build_etcd_status),
    _Syntax("etcd restore", _build_etcd_restore),
    _Syntax("cancel", _build_cancel),
    _Syntax("incident open", _build_incident_open, text="TITLE"),
    _Syntax("incident close", _no_arguments(c.IncidentClose)),
    _Syntax("note", _build_note, text="TEXT"),
    _Syntax("timeline", _build_timeline, (_EXPORT, _LINK, _REVOKE_LINKS)),
    _Syntax("approve", _build_approve),
    _Syntax("deny", _build_deny, text="REASON", text_required=False),
)
_BY_NAME = {syntax.name: syntax for syntax in _SYNTAXES}

_ALIASES: dict[tuple[str, ...], str] = {
    ("rollout", "undo"): "rollback",
    ("rollout", "restart"): "restart",
    ("rollout", "status"): "status",
    ("rollout", "history"): "history",
    ("rollout", "pause"): "pause",
    ("rollout", "resume"): "resume",
    ("set", "image"): "image",
    ("get", "nodes"): "nodes",
    ("get", "node"): "nodes",
    ("get", "no"): "nodes",
}
_HEADS: dict[tuple[str, ...], str] = {tuple(name.split()): name for name in COMMAND_NAMES} | _ALIASES
_GROUPS: dict[str, tuple[str, ...]] = {}
for _head in _HEADS:
    if len(_head) == 2:
        _GROUPS.setdefault(_head[0], ())
        _GROUPS[_head[0]] = (*_GROUPS[_head[0]], _head[1])
_VERBS = sorted({head[0] for head in _HEADS})


def _resolve(words: Sequence[_Word]) -> tuple[_Syntax, Sequence[_Word]]:
    """Find the command the first one or two words name; return its syntax and the remaining words."""
    first = words[0].value.lower()
    if len(words) > 1:
        name = _HEADS.get((first, words[1].value.lower()))
        if name is not None:
            return _BY_NAME[name], words[2:]
    name = _HEADS.get((first,))
    if name is not None:
        return _BY_NAME[name], words[1:]
    choices = _GROUPS.get(first)
    if choices is None:
        suggestions = difflib.get_close_matches(first, _VERBS, n=2)
        raise UsageError(messages.unknown_command(words[0].value, suggestions=suggestions))
    if len(words) == 1:
        raise UsageError(messages.missing_subcommand(first, choices=choices))
    second = words[1].value
    suggestions = difflib.get_close_matches(second.lower(), choices, n=2)
    raise UsageError(messages.unknown_subcommand(first, second, choices=choices, suggestions=suggestions))
