"""Every sentence the grammar shows: why a command was not understood, and how to write it.

A usage error is read by the person who just typed the command, so each says what was wrong, then
shows how to write it. Every fragment of their input that appears here goes through
:func:`shared.text.echo` (shortened, escaped for chat, shown as code), so an error can never ping
a channel or render a disguised link. The usage lines themselves are part of each command's entry
(:mod:`shared.catalog`): UPPERCASE placeholders, never angle brackets, which Slack would read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.names import NameKind
from shared.text import echo

AREAS: tuple[str, ...] = ("Looking", "Nodes", "Deployments", "Upgrades", "Backups", "Jobs and incidents")
"""The areas ``help`` groups commands by, in the order it shows them."""

_PLACEHOLDERS: dict[str, str] = {
    "DEPLOY": "the deployment's name, like `web`",
    "NODE": "the node's name, like `node-1`",
    "REPLICAS": "the number of replicas, from 0 to 10000",
    "IMAGE": "the image, like `nginx:1.27` or `web=nginx:1.27`",
    "STRATEGY": "`rolling` or `recreate`",
    "VERSION": "the Kubernetes version, like `v1.32` or `v1.32.0`",
    "SNAPSHOT": "the snapshot's name",
    "BACKUP": "the backup's name, as `backup list` shows it",
    "JOB": "the job id, as `jobs` shows it",
    "TITLE": 'a short title, like `"checkout errors"`',
    "TEXT": "what to note",
    "REASON": "why",
}

_NAME_RULES: dict[NameKind, str] = {
    NameKind.NODE: (
        "node names are lowercase letters, digits, `-` and `.`, start and end with a letter or digit, "
        "and have at most 253 characters"
    ),
    NameKind.DEPLOYMENT: (
        "deployment names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.NAMESPACE: (
        "namespace names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.CONTAINER: (
        "container names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.IMAGE: "an image looks like `nginx:1.27` or `registry.example.com/team/web:v2`, all lowercase",
    NameKind.JOB: "job ids are letters, digits, `_` and `-`, at most 64; `jobs` lists them",
    NameKind.INCIDENT: "incident ids are letters, digits, `_` and `-`, at most 64",
    NameKind.APPROVAL: "approval ids start with `apr-` (the request names its id)",
    NameKind.CLUSTER: (
        "cluster names are letters, digits, `.`, `_` and `-`, start with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.SNAPSHOT: (
        "snapshot names are letters, digits, `.`, `_` and `-`, start with a letter or digit, "
        "and have at most 253 characters"
    ),
}


def common_options() -> str:
    """The options every command takes, for the foot of ``help``."""
    return (
        "Every command also takes `--cluster NAME` and `--dry-run` (plan only, change nothing); a change "
        "also takes `--at TIME` or `--in DURATION` (start later, inside its window) and `--break-glass` "
        "(run during a freeze, with the incident group's approval). "
        "kubectl spellings work too, with or without a leading `kubectl`."
    )


def usage_error(problem: str, *, usage: str) -> str:
    """A usage error: the problem (already safe for chat), then how to write the command (``usage``)."""
    return f"{problem}\nUsage: `{usage}`"


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    quoted = " or ".join(echo(suggestion) for suggestion in suggestions)
    return f" Did you mean {quoted}?"


def empty_command() -> str:
    """The reply to a mention with no command in it."""
    return "Tell me what to do, for example `nodes` or `status web`. Say `help` to see every command."


def unknown_command(word: str, *, suggestions: Sequence[str]) -> str:
    """The reply to a verb we do not know, with close matches when there are any."""
    return (
        f"I don't know the command {echo(word)}.{_did_you_mean(suggestions)} Say `help` to see every command."
    )


def missing_subcommand(group: str, *, choices: Sequence[str]) -> str:
    """The reply to a group word such as ``upgrade`` on its own."""
    options = ", ".join(echo(choice) for choice in choices)
    return f"{echo(group)} needs one more word: {options}. Say `help {group}` for details."


def unknown_subcommand(group: str, word: str, *, choices: Sequence[str], suggestions: Sequence[str]) -> str:
    """The reply to ``upgrade something-else``."""
    options = ", ".join(echo(choice) for choice in choices)
    return (
        f"{echo(group)} has no {echo(word)}.{_did_you_mean(suggestions)} "
        f"It takes one of: {options}. Say `help {group}` for details."
    )


def unknown_help_topic(topic: str, *, suggestions: Sequence[str]) -> str:
    """The problem when ``help`` is asked about something that is not a command."""
    return f"There is no command {echo(topic)}.{_did_you_mean(suggestions)}"


def missing_argument(placeholder: str, *, meaning: str | None = None) -> str:
    """The problem when a required argument is left out; ``meaning`` explains a command's own placeholder."""
    return f"{placeholder} is missing: {meaning or _PLACEHOLDERS[placeholder]}."


def unexpected_arguments(extra: Sequence[str]) -> str:
    """The problem when there are more arguments than the command takes."""
    return f"I don't know what to do with {echo(' '.join(extra))}; that is more than this command takes."


def unknown_option(option: str, *, suggestions: Sequence[str]) -> str:
    """The problem when an option is not one this command takes."""
    return f"{echo(option)} is not an option of this command.{_did_you_mean(suggestions)}"


def option_needs_value(option: str) -> str:
    """The problem when an option that takes a value has none."""
    return f"{echo(option)} needs a value after it."


def option_repeated(option: str) -> str:
    """The problem when an option is given twice."""
    return f"{echo(option)} is given more than once; give it once."


def flag_value(option: str, value: str) -> str:
    """The problem when a switch is given a value other than true or false."""
    return f"{echo(option)} is a switch: write it on its own (or `=true` / `=false`), not with {echo(value)}."


def invalid_name(kind: NameKind, value: str) -> str:
    """The problem when a name breaks the rule for its kind."""
    return f"{echo(value)} is not a valid {kind} name: {_NAME_RULES[kind]}."


def wrong_kind(value: str, *, expected: NameKind) -> str:
    """The problem when a ``kind/name`` argument names the wrong kind, as in ``rollout undo node/x``."""
    return f"{echo(value)} is not a {expected}: this command works on {expected}s, like `{expected}/NAME`."


def wrong_workload_kind(value: str) -> str:
    """The problem when a rollout's ``kind/name`` names a kind with no rollouts, as in ``rollback node/x``."""
    return (
        f"{echo(value)} is not a deployment, daemonset or statefulset: this command works on "
        "`NAME` (a deployment), `daemonset/NAME` or `statefulset/NAME`."
    )


def conflicting(first: str, second: str) -> str:
    """The problem when two ways of saying the same thing are both used."""
    return f"Give either {first} or {second}, not both."


def invalid_version(value: str) -> str:
    """The problem when a version does not look like ``v1.32`` or ``v1.32.0``."""
    return f"{echo(value)} is not a Kubernetes version: write it like `v1.32` or `v1.32.0`."


def invalid_number(what: str, value: str, *, minimum: int, maximum: int) -> str:
    """The problem when a whole number is malformed or out of range."""
    return f"{what} must be a whole number from {minimum} to {maximum}, not {echo(value)}."


def invalid_grace_period(value: str, *, maximum: int) -> str:
    """The problem with ``--grace-period``: only 0 and more, because leaving it out means kubectl's -1."""
    return (
        f"`--grace-period` takes whole seconds from 0 to {maximum}, not {echo(value)}. "
        "Leave it out to give each pod its own grace period (what kubectl writes as -1)."
    )


def invalid_duration(option: str, value: str, *, maximum: str) -> str:
    """The problem when a duration is malformed, zero or too long."""
    return (
        f"{echo(option)} takes a duration like `90s`, `15m` or `1h30m`, more than zero and at most "
        f"{maximum}, not {echo(value)}."
    )


def invalid_int_or_percent(option: str, value: str) -> str:
    """The problem when ``--max-surge`` or ``--max-unavailable`` is neither a count nor a percentage."""
    return f"{echo(option)} takes a number of pods or a percentage, like `1` or `25%`, not {echo(value)}."


def percent_over_hundred(option: str) -> str:
    """The problem when ``--max-unavailable`` is above 100%."""
    return f"{echo(option)} can't be more than 100%."


def surge_and_unavailable_both_zero() -> str:
    """The problem when a rolling update could never make progress."""
    return "`--max-surge` and `--max-unavailable` can't both be 0, or the rollout could never progress."


def rolling_only_option(option: str) -> str:
    """The problem when a rolling-update limit is given with ``recreate``."""
    return f"{echo(option)} only applies to the `rolling` strategy; `recreate` replaces every pod at once."


def invalid_choice(what: str, value: str, *, choices: Sequence[str]) -> str:
    """The problem when a value must be one of a few words."""
    options = ", ".join(f"`{choice}`" for choice in choices)
    return f"{what} must be one of {options}, not {echo(value)}."


def empty_node_list() -> str:
    """The problem when ``--nodes`` has an empty entry."""
    return "`--nodes` takes node names separated by commas, like `node-1,node-2`, with no empty entries."


def empty_text(placeholder: str, *, meaning: str | None = None) -> str:
    """The problem when a quoted TEXT, TITLE or REASON is empty."""
    return f"{placeholder} is empty: {meaning or _PLACEHOLDERS[placeholder]}."


def text_too_long(placeholder: str, *, limit: int) -> str:
    """The problem when free text is longer than we store."""
    return f"{placeholder} is too long: keep it to {limit} characters."


def quote_whole_text(placeholder: str) -> str:
    """The problem when text after a quoted TITLE is neither an option nor part of it."""
    return f"Put the whole {placeholder} in quotes, or leave the quotes out."
