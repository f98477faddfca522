"""Sentences about access policy: refusals that name the deciding rule, and policy-file problems.

Refusals are read in chat by the person who was refused, so each says which rule decided and what to
do next. Policy-file problems are read by whoever edits the YAML, so each names the offending entry
and, where a near miss is likely, the spelling that was probably meant.
"""

from __future__ import annotations

from collections.abc import Sequence


def describe_principals(principals: Sequence[str]) -> str:
    """Name who a rule lets in: ``anyone``, ``oncall``, ``oncall or U01ALICE``."""
    if "*" in principals:
        return "anyone"
    names = list(principals)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" or {names[-1]}"


def denied_by_rule(*, rule: int, command: str, allowed: Sequence[str]) -> str:
    """The refusal when the first matching rule does not list the user."""
    who = describe_principals(allowed)
    return (
        f"Denied: rule {rule} of the policy allows only {who} to run `{command}` here. "
        f"Ask someone in {who} to run it, or ask a policy admin to change rule {rule}."
    )


def denied_by_default(*, command: str, namespace: str | None, cluster: str) -> str:
    """The refusal when no rule covers the command in this scope."""
    scope = f"in namespace `{namespace}` on cluster `{cluster}`" if namespace else f"on cluster `{cluster}`"
    return (
        f"Denied: no rule in the policy covers `{command}` {scope}, and whatever no rule allows is denied. "
        "Ask a policy admin to add a rule for it."
    )


def channel_refused(*, channel: str, channels: Sequence[str]) -> str:
    """The refusal for a command typed outside the channels the policy accepts."""
    where = ", ".join(f"`{name}`" for name in channels)
    place = "direct messages" if channel.startswith("D") else "this channel"
    return f"I don't take commands in {place}: the policy accepts them only in {where}. Please ask there."


# Policy-file problems. Each returns the text after "<path>: "; paths index lists from 0.


def did_you_mean(suggestion: str | None) -> str:
    """The tail offering a close spelling, or nothing."""
    return f" (did you mean '{suggestion}'?)" if suggestion else ""


def yaml_syntax(*, detail: str) -> str:
    """The whole file is not readable YAML."""
    return f"not valid YAML: {detail}"


def unreadable(*, detail: str) -> str:
    """The policy file could not be read at all."""
    return f"cannot read the policy file: {detail}"


def wrong_type(*, expected: str, got: str) -> str:
    """A value of the wrong kind, such as a string where a list is needed."""
    return f"expected {expected}, got {got}"


def unknown_key(*, key: str, allowed: Sequence[str], suggestion: str | None) -> str:
    """A key the schema does not have."""
    return f"unknown key '{key}'{did_you_mean(suggestion)}; allowed keys: {', '.join(allowed)}"


def missing_key(*, key: str, hint: str) -> str:
    """A required key that is absent."""
    return f"'{key}' is required: {hint}"


def no_rules() -> str:
    """A policy without rules would deny everything."""
    return "at least one rule is needed; without rules every command is denied"


def empty_list(*, hint: str) -> str:
    """A list that must not be empty."""
    return f"the list is empty; {hint}"


def unknown_command(*, name: str, suggestion: str | None) -> str:
    """A command name outside the vocabulary."""
    return f"unknown command '{name}'{did_you_mean(suggestion)}; name commands as typed, like 'upgrade plan'"


def ungoverned_command(*, name: str) -> str:
    """approve/deny listed in a rule."""
    return (
        f"'{name}' needs no rule: anyone may answer an approval request, and only the approvers "
        "named in the request's rule count; remove it from this list"
    )


def shadowed_command(*, command: str, earlier: str) -> str:
    """A command a rule lists but can never decide, because an earlier rule always matches first."""
    return f"'{command}' never reaches this rule: {earlier} matches it first in every case it covers"


def unknown_principal(*, name: str, suggestion: str | None) -> str:
    """An allow/approvers entry that is neither a group, an id nor ``*``."""
    return (
        f"unknown group '{name}'{did_you_mean(suggestion)}; use a name from 'groups', a user id "
        "(U…/W…), a Slack user-group id (S…) or '*'"
    )


def bad_group_name(*, name: str) -> str:
    """A group name that could be confused with an id or the wildcard."""
    return f"group name '{name}' must be lowercase letters, digits, '-' or '_', starting with a letter"


def bad_group_member(*, member: str, is_group: bool) -> str:
    """A group member that is not a Slack id."""
    if is_group:
        return f"'{member}' is a group; groups cannot contain groups, list its members' ids instead"
    return (
        f"'{member}' is not a Slack id; list user ids (U…/W…) or Slack user-group ids (S…), "
        "never display names, which people can change"
    )


def bad_channel(*, channel: str) -> str:
    """A channel entry that is not a channel id."""
    return (
        f"'{channel}' is not a channel id; list ids like C0123ABCD (find one in the channel's "
        "details), not names, which can change"
    )


def bad_namespace(*, name: str) -> str:
    """A namespace that Kubernetes would not accept."""
    return f"'{name}' is not a namespace name: use lowercase letters, digits and '-', at most 63 characters"


def bad_cluster(*, name: str) -> str:
    """An empty or blank cluster name."""
    return f"'{name}' is not a cluster name; use the name the bot's configuration gives the cluster"


def channel_cluster_not_accepted(*, channel: str) -> str:
    """A channel given a default cluster although ``channels`` refuses commands there."""
    return (
        f"channel '{channel}' is not in 'channels', so no command is accepted there; "
        "add it to 'channels' or remove this entry"
    )


def bad_cluster_name(*, name: str) -> str:
    """A cluster name with characters ``--cluster`` would not accept."""
    return (
        f"'{name}' is not a cluster name; cluster names are letters, digits, '.', '_' and '-', "
        "starting with a letter or digit, as typed after --cluster"
    )


def bad_ttl(*, text: str, detail: str) -> str:
    """An approval ttl that is not a positive duration."""
    return f"ttl '{text}' is not usable: {detail}"


def bad_count(*, value: object) -> str:
    """An approval count that is not a positive whole number."""
    return f"count must be a whole number of approvals, at least 1, got {value!r}"


def count_exceeds_approvers(*, count: int, approvers: int) -> str:
    """An approval count that the named approvers can never reach."""
    return (
        f"count {count} can never be reached: only {approvers} different people are named as "
        "approvers; lower the count or name more approvers"
    )


def problem(*, where: str, path: str, message: str) -> str:
    """One line of a policy error: ``file:line: path: message``."""
    return f"{where}: {path}: {message}" if path else f"{where}: {message}"


def policy_invalid(*, source: str, problems: Sequence[str]) -> str:
    """The heading and list of everything wrong with a policy file."""
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  {line}" for line in problems)
    return f"The policy in {source} cannot be used ({len(problems)} {noun}):\n{lines}"


def policy_not_set() -> str:
    """``chatops bot`` started without ``CHATOPS_POLICY``: it does not fall back to the demo policy."""
    return (
        "chatops bot: CHATOPS_POLICY is not set; it must name the policy file saying who may run what "
        "and who approves (the demo's is bot/policies/demo.yaml: the bot never falls back to it)."
    )


def bad_run_as(*, value: str) -> str:
    """A cluster's ``run_as`` that is neither ``bot`` nor ``requester``."""
    return f"run_as must be 'bot' or 'requester', not {value!r}"


def bad_identity_key(*, key: str) -> str:
    """An ``identities`` entry not keyed by a chat user id."""
    return f"{key!r} is not a user id (U… or W…): identities are keyed by the chat user's id"


def system_identity(*, name: str) -> str:
    """A mapped identity naming one of the cluster's own (``system:``) users or groups."""
    return f"{name!r} is a system identity: the bot never acts as the cluster's own users or groups"


def kind_of(value: object) -> str:
    """What a policy value is, in words, for "expected …, got …" problems."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
