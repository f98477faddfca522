"""Reading a policy from YAML, checking all of it at once, so a bad file fails at start-up, not in chat.

The schema (see :mod:`bot.core.policy` for what each part means when deciding)::

    default_namespace: default       # optional, default "default"
    channels: [C0OPS]                # optional: commands are accepted only in these channel ids
    channel_clusters:                # optional: channel id -> the cluster its commands go to by default
      C0OPS: prod-eu                 #   (``--cluster`` still wins; other channels use CHATOPS_CLUSTER)
    groups:                          # optional: name -> user ids (U…/W…) and Slack user-group ids (S…)
      oncall: [U01ALICE, U02BOB]
    rules:                           # required, at least one; first match decides
      - commands: [drain, "upgrade nodes"]   # as typed; "*" = every command except approve/deny
        allow: [oncall]                      # group names, user ids, S… ids, or "*"
        namespaces: [prod]                   # optional; "*" = any, including cluster-wide commands
        clusters: ["*"]                      # optional
        approval: {approvers: [leads], count: 1, ttl: 15m}   # optional; count defaults to 1, ttl to 15m

Every problem is collected before anything is raised, so one :class:`PolicyError` lists them all,
each with the file line and the path of the offending entry (``rules[2].commands[1]``; list
indexes count from 0 here, while refusals in chat count rules from 1: "rule 3"). Checks beyond
shapes and spellings: groups cannot contain groups; ``approve``/``deny`` may not appear in rules;
an approval ``count`` larger than the number of distinct people its approvers name (when they are
all explicit user ids) is an error, as such a request could never be approved; a command listed in
a rule that an earlier rule always decides first is an error, as the listing would be dead.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from bot.core.policy import (
    ANY,
    DEFAULT_APPROVAL_TTL_SECONDS,
    DEFAULT_NAMESPACE,
    UNGOVERNED_COMMANDS,
    ApprovalRequirement,
    Group,
    Policy,
    Rule,
    is_user_id,
    is_usergroup_id,
    names_command,
)
from bot.core.policy_windows import read_cluster_windows, read_freezes, read_rule_window, read_windows
from shared.durations import DurationError, parse_duration
from shared.identities import read_identities
from shared.messages import policy as messages
from shared.names import NameKind, is_cluster_name, is_valid_name
from shared.vocabulary import COMMAND_NAMES
from shared.windows import Window

_TOP_KEYS = (
    "default_namespace",
    "channels",
    "channel_clusters",
    "groups",
    "rules",
    "clusters",
    "identities",
    "windows",
    "freezes",
)
_RULE_KEYS = ("commands", "allow", "namespaces", "clusters", "approval", "window")
_APPROVAL_KEYS = ("approvers", "count", "ttl")
_GROUP_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9_]+")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_GOVERNED_COMMANDS = tuple(name for name in COMMAND_NAMES if name not in UNGOVERNED_COMMANDS)

_Check = Callable[[str], "str | None"]
"""A scope checker: returns a problem sentence, or ``None`` when the name is fine."""


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file."""

    path: str
    """Where in the document: ``rules[2].approval.ttl``; empty for the whole document."""
    message: str
    line: int | None = None
    """1-based line in the file, when known."""


class PolicyError(ValueError):
    """A policy that cannot be used; ``problems`` lists everything wrong, in file order."""

    def __init__(self, *, source: str, problems: Sequence[PolicyProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """The whole report, one ``file:line: path: message`` line per problem."""
        lines = [
            messages.problem(
                where=self.source if problem.line is None else f"{self.source}:{problem.line}",
                path=problem.path,
                message=problem.message,
            )
            for problem in self.problems
        ]
        return messages.policy_invalid(source=self.source, problems=lines)


def load_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Read and check a policy written in YAML; raise :class:`PolicyError` listing every problem."""
    try:
        document = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = str(getattr(error, "problem", None) or error)
        problem = PolicyProblem(path="", message=messages.yaml_syntax(detail=detail), line=line)
        raise PolicyError(source=source, problems=[problem]) from error
    reader = _Reader(lines=_line_index(root))
    policy = reader.policy(document, source=source)
    if reader.problems or policy is None:
        raise PolicyError(source=source, problems=reader.problems)
    return policy


def load_policy_file(path: Path) -> Policy:
    """Read and check the policy file at ``path``; an unreadable file is a :class:`PolicyError` too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = PolicyProblem(path="", message=messages.unreadable(detail=str(error)))
        raise PolicyError(source=str(path), problems=[problem]) from error
    return load_policy(text, source=str(path))


@functools.cache
def demo_policy() -> Policy:
    """The built-in demo policy (``bot/policies/demo.yaml``): four demo users, every path reachable."""
    text = resources.files("bot.policies").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_policy(text, source="bot/policies/demo.yaml")


@dataclass
class _Reader:
    """Walks the loaded document, building the policy and collecting problems instead of stopping."""

    lines: Mapping[str, int]
    problems: list[PolicyProblem] = field(default_factory=list)

    def report(self, path: str, message: str) -> None:
        self.problems.append(PolicyProblem(path=path, message=message, line=self._line_of(path)))

    def policy(self, document: object, *, source: str) -> Policy | None:
        if not isinstance(document, dict):
            self.report(
                "",
                messages.wrong_type(expected="a mapping with a 'rules' key", got=messages.kind_of(document)),
            )
            return None
        self.check_keys("", document, _TOP_KEYS)
        default_namespace = self.default_namespace(document.get("default_namespace", DEFAULT_NAMESPACE))
        channels = self.channels(document["channels"]) if "channels" in document else None
        channel_clusters = self.channel_clusters(document.get("channel_clusters", {}), channels=channels)
        groups = self.groups(document.get("groups", {}))
        windows = read_windows(document, report=self.report)
        cluster_windows = read_cluster_windows(document, windows=windows, report=self.report)
        freezes = read_freezes(
            document,
            report=self.report,
            principals=functools.partial(self.principals, groups=groups),
            check_keys=self.check_keys,
        )
        if "rules" not in document:
            self.report("rules", messages.no_rules())
            return None
        rules = self.rules(document["rules"], groups=groups, windows=windows)
        identities = read_identities(
            document,
            report=self.report,
            is_user_id=is_user_id,
            is_cluster_name=is_cluster_name,
        )
        return Policy(
            rules=rules,
            groups=tuple(Group(name=name, members=members) for name, members in groups.items()),
            channels=channels,
            default_namespace=default_namespace,
            channel_clusters=channel_clusters,
            identities=identities,
            source=source,
            windows=windows,
            cluster_windows=cluster_windows,
            freezes=freezes,
        )

    def check_keys(self, path: str, mapping: Mapping[object, object], allowed: Sequence[str]) -> None:
        for key in mapping:
            if key not in allowed:
                self.report(
                    _join(path, str(key)),
                    messages.unknown_key(
                        key=str(key), allowed=allowed, suggestion=_closest(str(key), allowed)
                    ),
                )

    def default_namespace(self, value: object) -> str:
        if not isinstance(value, str):
            self.report(
                "default_namespace",
                messages.wrong_type(expected="a namespace name", got=messages.kind_of(value)),
            )
            return DEFAULT_NAMESPACE
        if not _NAMESPACE.fullmatch(value):
            self.report("default_namespace", messages.bad_namespace(name=value))
        return value

    def channels(self, value: object) -> frozenset[str]:
        entries = self.string_list("channels", value, hint="list channel ids, or leave 'channels' out")
        for path, channel in entries:
            if not _CHANNEL_ID.fullmatch(channel):
                self.report(path, messages.bad_channel(channel=channel))
        return frozenset(channel for _, channel in entries)

    def channel_clusters(
        self, value: object, *, channels: frozenset[str] | None
    ) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict):
            self.report(
                "channel_clusters",
                messages.wrong_type(
                    expected="a mapping of channel ids to cluster names", got=messages.kind_of(value)
                ),
            )
            return ()
        pairs: list[tuple[str, str]] = []
        for channel, cluster in value.items():
            path = f"channel_clusters.{channel}"
            if not isinstance(channel, str) or not _CHANNEL_ID.fullmatch(channel):
                self.report(path, messages.bad_channel(channel=str(channel)))
            elif channels is not None and channel not in channels:
                self.report(path, messages.channel_cluster_not_accepted(channel=channel))
            elif not isinstance(cluster, str):
                self.report(
                    path, messages.wrong_type(expected="a cluster name", got=messages.kind_of(cluster))
                )
            elif not is_valid_name(NameKind.CLUSTER, cluster):
                self.report(path, messages.bad_cluster_name(name=cluster))
            else:
                pairs.append((channel, cluster))
        return tuple(pairs)

    def groups(self, value: object) -> dict[str, frozenset[str]]:
        if not isinstance(value, dict):
            self.report(
                "groups",
                messages.wrong_type(expected="a mapping of group names to ids", got=messages.kind_of(value)),
            )
            return {}
        names = {str(name) for name in value}
        groups: dict[str, frozenset[str]] = {}
        for name, members in value.items():
            path = f"groups.{name}"
            if not isinstance(name, str) or not _GROUP_NAME.fullmatch(name):
                self.report(path, messages.bad_group_name(name=str(name)))
                continue
            if not isinstance(members, list):
                self.report(
                    path, messages.wrong_type(expected="a list of ids", got=messages.kind_of(members))
                )
                continue
            valid: set[str] = set()
            for index, member in enumerate(members):
                member_path = f"{path}[{index}]"
                if not isinstance(member, str):
                    self.report(
                        member_path, messages.wrong_type(expected="an id", got=messages.kind_of(member))
                    )
                elif is_user_id(member) or is_usergroup_id(member):
                    valid.add(member)
                else:
                    self.report(
                        member_path, messages.bad_group_member(member=member, is_group=member in names)
                    )
            groups[name] = frozenset(valid)
        return groups

    def rules(
        self, value: object, *, groups: Mapping[str, frozenset[str]], windows: tuple[Window, ...] = ()
    ) -> tuple[Rule, ...]:
        if not isinstance(value, list):
            self.report("rules", messages.wrong_type(expected="a list of rules", got=messages.kind_of(value)))
            return ()
        if not value:
            self.report("rules", messages.no_rules())
            return ()
        read: list[tuple[int, Rule]] = []
        for index, entry in enumerate(value):
            before = len(self.problems)
            rule = self.rule(f"rules[{index}]", entry, groups=groups, windows=windows)
            if rule is not None and len(self.problems) == before:
                self.check_not_shadowed(index, rule, earlier=read, entry=entry)
            if rule is not None:
                read.append((index, rule))
        return tuple(rule for _, rule in read)

    def rule(
        self,
        path: str,
        entry: object,
        *,
        groups: Mapping[str, frozenset[str]],
        windows: tuple[Window, ...] = (),
    ) -> Rule | None:
        if not isinstance(entry, dict):
            self.report(
                path,
                messages.wrong_type(
                    expected="a rule with 'commands' and 'allow'", got=messages.kind_of(entry)
                ),
            )
            return None
        self.check_keys(path, entry, _RULE_KEYS)
        commands = self.commands(f"{path}.commands", entry)
        allow = self.principals(
            f"{path}.allow", entry, key="allow", groups=groups, hint="list who may run these commands, or '*'"
        )
        namespaces = self.scope(f"{path}.namespaces", entry.get("namespaces"), check=_check_namespace)
        clusters = self.scope(f"{path}.clusters", entry.get("clusters"), check=_check_cluster)
        approval = (
            self.approval(f"{path}.approval", entry["approval"], groups=groups)
            if "approval" in entry
            else None
        )
        window = read_rule_window(f"{path}.window", entry, windows=windows, report=self.report)
        return Rule(
            commands=commands,
            allow=allow,
            namespaces=namespaces,
            clusters=clusters,
            approval=approval,
            window=window,
        )

    def commands(self, path: str, entry: Mapping[object, object]) -> frozenset[str]:
        if "commands" not in entry:
            self.report(path, messages.missing_key(key="commands", hint="list the commands this rule covers"))
            return frozenset()
        names: set[str] = set()
        for item_path, name in self.string_list(path, entry["commands"], hint="list commands, or '*'"):
            if name in UNGOVERNED_COMMANDS:
                self.report(item_path, messages.ungoverned_command(name=name))
            elif name == ANY or name in COMMAND_NAMES:
                names.add(name)
            else:
                suggestion = _closest(name, _GOVERNED_COMMANDS)
                self.report(item_path, messages.unknown_command(name=name, suggestion=suggestion))
        return frozenset(names)

    def principals(
        self,
        path: str,
        entry: Mapping[object, object],
        *,
        key: str,
        groups: Mapping[str, frozenset[str]],
        hint: str,
    ) -> tuple[str, ...]:
        if key not in entry:
            self.report(path, messages.missing_key(key=key, hint=hint))
            return ()
        chosen: list[str] = []
        for item_path, name in self.string_list(path, entry[key], hint=hint):
            if name == ANY or name in groups or is_user_id(name) or is_usergroup_id(name):
                chosen.append(name)
            else:
                self.report(
                    item_path, messages.unknown_principal(name=name, suggestion=_closest(name, groups))
                )
        return tuple(chosen)

    def scope(self, path: str, value: object, *, check: _Check) -> frozenset[str] | None:
        if value is None:
            return None
        names: set[str] = set()
        for item_path, name in self.string_list(path, value, hint="list names, '*', or leave the key out"):
            problem = None if name == ANY else check(name)
            if problem:
                self.report(item_path, problem)
            else:
                names.add(name)
        return frozenset(names)

    def approval(
        self, path: str, value: object, *, groups: Mapping[str, frozenset[str]]
    ) -> ApprovalRequirement | None:
        if not isinstance(value, dict):
            self.report(
                path, messages.wrong_type(expected="a mapping with 'approvers'", got=messages.kind_of(value))
            )
            return None
        self.check_keys(path, value, _APPROVAL_KEYS)
        approvers = self.principals(
            f"{path}.approvers", value, key="approvers", groups=groups, hint="list who may approve"
        )
        count = value.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.report(f"{path}.count", messages.bad_count(value=count))
            count = 1
        else:
            self.check_count_reachable(f"{path}.count", count=count, approvers=approvers, groups=groups)
        ttl_seconds = self.ttl(f"{path}.ttl", value.get("ttl", DEFAULT_APPROVAL_TTL_SECONDS))
        return ApprovalRequirement(approvers=approvers, count=count, ttl_seconds=ttl_seconds)

    def ttl(self, path: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.report(
                path, messages.wrong_type(expected="a duration like 15m", got=messages.kind_of(value))
            )
            return DEFAULT_APPROVAL_TTL_SECONDS
        try:
            seconds = parse_duration(str(value))
        except DurationError as error:
            self.report(path, messages.bad_ttl(text=str(value), detail=str(error)))
            return DEFAULT_APPROVAL_TTL_SECONDS
        if seconds <= 0:
            self.report(path, messages.bad_ttl(text=str(value), detail="it must be longer than zero"))
            return DEFAULT_APPROVAL_TTL_SECONDS
        return seconds

    def check_count_reachable(
        self, path: str, *, count: int, approvers: Iterable[str], groups: Mapping[str, frozenset[str]]
    ) -> None:
        """When every approver resolves to explicit user ids, the count must not exceed them."""
        people: set[str] = set()
        for name in approvers:
            people.update(groups.get(name, {name}))
        if all(is_user_id(person) for person in people) and count > len(people):
            self.report(path, messages.count_exceeds_approvers(count=count, approvers=len(people)))

    def check_not_shadowed(
        self, index: int, rule: Rule, *, earlier: Sequence[tuple[int, Rule]], entry: Mapping[object, object]
    ) -> None:
        listed = entry.get("commands")
        if not isinstance(listed, list):
            return
        for position, name in enumerate(listed):
            for earlier_index, earlier_rule in earlier:
                if _decides_first(earlier_rule, rule, command=str(name)):
                    self.report(
                        f"rules[{index}].commands[{position}]",
                        messages.shadowed_command(command=str(name), earlier=f"rules[{earlier_index}]"),
                    )
                    break

    def string_list(self, path: str, value: object, *, hint: str) -> list[tuple[str, str]]:
        """The (path, text) items of a non-empty list of strings; reports anything else."""
        if not isinstance(value, list):
            self.report(path, messages.wrong_type(expected="a list", got=messages.kind_of(value)))
            return []
        if not value:
            self.report(path, messages.empty_list(hint=hint))
        items: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if isinstance(item, str) and item.strip():
                items.append((item_path, item.strip()))
            else:
                self.report(item_path, messages.wrong_type(expected="a name", got=messages.kind_of(item)))
        return items

    def _line_of(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.lines.get("")


def _check_namespace(name: str) -> str | None:
    return None if _NAMESPACE.fullmatch(name) else messages.bad_namespace(name=name)


def _check_cluster(name: str) -> str | None:
    return None if name.strip() else messages.bad_cluster(name=name)


def _decides_first(earlier: Rule, later: Rule, *, command: str) -> bool:
    """Whether ``earlier`` matches every request for ``command`` that ``later`` would match."""
    if not names_command(earlier.commands, command):
        return False
    return _covers(earlier.namespaces, later.namespaces) and _covers(earlier.clusters, later.clusters)


def _covers(wider: frozenset[str] | None, narrower: frozenset[str] | None) -> bool:
    if wider is None or ANY in wider:
        return True
    return narrower is not None and ANY not in narrower and narrower <= wider


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _line_index(node: yaml.Node | None, path: str = "") -> dict[str, int]:
    """Map each document path (``rules[2].allow[0]``) to the 1-based line where it is written."""
    lines: dict[str, int] = {}
    if node is None:
        return lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = _join(path, str(key_node.value))
            lines.update(_line_index(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, f"{path}[{index}]"))
    return lines
