"""Walking a loaded policy document: building the policy while collecting every problem in it.

:class:`PolicyReader` checks shapes, spellings and names (commands against the registry the policy is
read for), and beyond them: groups cannot contain groups; ``approve``/``deny`` (the registry's
ungoverned commands) may not appear in rules; an approval ``count`` larger than the number of distinct
people its approvers name (when they are all explicit user ids) is an error, as such a request could
never be approved; a command listed in a rule that an earlier rule always decides first is an error,
as the listing would be dead (those two checks, and an approval's ``ttl``, are in
:mod:`bot.core.policy_checks`; windows and freezes are read by :mod:`bot.core.policy_windows`).
:mod:`bot.core.policy_file` reads the YAML and raises what it found.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.policy import (
    ANY,
    DEFAULT_APPROVAL_TTL_SECONDS,
    DEFAULT_NAMESPACE,
    ApprovalRequirement,
    Group,
    Policy,
    Rule,
    is_user_id,
    is_usergroup_id,
)
from bot.core.policy_checks import read_ttl, shadowed, unreachable_count
from bot.core.policy_windows import read_cluster_windows, read_freezes, read_rule_window, read_windows
from shared.identities import read_identities
from shared.messages import policy as messages
from shared.names import NameKind, is_cluster_name, is_valid_name
from shared.registry import Registry
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


@dataclass
class PolicyReader:
    """Walks the loaded document, building the policy and collecting problems instead of stopping."""

    lines: Mapping[str, int]
    registry: Registry
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
            registry=self.registry,
            windows=windows,
            cluster_windows=cluster_windows,
            freezes=freezes,
        )

    def check_keys(self, path: str, mapping: Mapping[object, object], allowed: Sequence[str]) -> None:
        for key in mapping:
            if key not in allowed:
                self.report(
                    join_path(path, str(key)),
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
                for path, problem in shadowed(index, rule, earlier=read, entry=entry, registry=self.registry):
                    self.report(path, problem)
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
            spec = self.registry.get(name)
            if spec is not None and not spec.governed:
                self.report(item_path, messages.ungoverned_command(name=name))
            elif name == ANY or spec is not None:
                names.add(name)
            else:
                governed = [spec.name for spec in self.registry if spec.governed]
                suggestion = _closest(name, governed)
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
            problem = unreachable_count(count, approvers=approvers, groups=groups)
            if problem is not None:
                self.report(f"{path}.count", problem)
        ttl_seconds = read_ttl(
            f"{path}.ttl", value.get("ttl", DEFAULT_APPROVAL_TTL_SECONDS), report=self.report
        )
        return ApprovalRequirement(approvers=approvers, count=count, ttl_seconds=ttl_seconds)

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


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def join_path(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top of the document."""
    return f"{path}.{key}" if path else key
