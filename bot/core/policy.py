"""Who may run which command where: the access policy as data, and the pure decision over it.

Policies are written in YAML (see :mod:`bot.core.policy_file` for loading and validation) and held
here as frozen values. :func:`decide` turns one request into a :class:`Decision` that carries the
refusal sentence; replying is the chat adapter's job.

Semantics, in the order :func:`decide` applies them:

* **Channels.** If the policy has ``channels``, commands are accepted only in those channel ids.
  Direct messages (channel ids starting with ``D``) are then refused too; without ``channels``,
  commands are accepted in every channel and in DMs.
* **Channel clusters.** ``channel_clusters`` maps a channel id to the cluster its commands go to when
  they do not say ``--cluster``: ``--cluster`` beats the channel's cluster, which beats the bot's
  configured cluster (``CHATOPS_CLUSTER``). Rules are then matched against that cluster.
* **approve / deny** need no rule: anyone may type them in an accepted channel, and whether the
  answer counts is decided by the approval requirement of the request being answered
  (:func:`is_approver`). Rules may not name them, and ``"*"`` in ``commands`` does not cover them.
* **Rules, first match wins.** A rule matches when its ``commands`` contain the command (named as
  typed, multi-word in full: ``upgrade plan``; ``"*"`` means every command), its ``namespaces``
  contain the namespace, and its ``clusters`` contain the cluster. A missing ``namespaces`` or
  ``clusters`` key, or a list containing ``"*"``, matches anything. Cluster-scoped commands (nodes,
  upgrades, etcd) have no namespace: they match a rule without ``namespaces`` or with ``"*"``, never a
  rule that lists specific namespaces. ``"*"`` does not cover the commands of
  ``explicit_only`` in the registry (``backup secrets``): a rule must name them.
* **The first matching rule decides.** If the user is in its ``allow`` list the command is allowed,
  with the rule's ``approval`` requirement if it has one; otherwise it is denied by that rule, and
  later rules are not consulted.
* **Deny by default.** When no rule matches, the command is denied.
* **Cancelling.** ``cancel JOB`` is decided on the job's cluster, not the channel's, and stops a job
  only for the person who asked for it or an approver of the rule that gates what it does
  (:func:`may_cancel`).

People are named by immutable Slack ids, never by display names. An ``allow`` or ``approvers`` entry
is ``"*"`` (anyone), a group name from ``groups``, a user id (``U…``/``W…``), or a Slack user-group id
(``S…``). A user matches a group when their id is listed in it, or one of the Slack user groups they
belong to is listed in it. The chat side resolves a user's Slack user groups (only those that
:func:`slack_usergroup_ids` reports) and passes them in as ``user_groups``.

Approval requirements name approvers the same way, need ``count`` approvals from that many different
people, and expire after ``ttl``. The requester never counts as an approver of their own request;
the approvals module enforces that, since it knows who asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.command_spec import CommandSpec
from shared.identities import Identities
from shared.messages import policy as messages
from shared.registry import REGISTRY, Registry
from shared.windows import Window

ANY = "*"
"""The wildcard: any command, anyone, any namespace or any cluster, depending on where it is written."""

DEFAULT_NAMESPACE = "default"
"""The namespace used when a command names none and the policy does not set ``default_namespace``."""

DEFAULT_APPROVAL_TTL_SECONDS = 15 * 60
"""How long an approval request stays open when the rule's ``approval`` gives no ``ttl``."""


@dataclass(frozen=True)
class ApprovalRequirement:
    """What must happen before an allowed command runs: ``count`` approvals from distinct approvers."""

    approvers: tuple[str, ...]
    """Who may approve, as written in the policy: group names, user ids, Slack user-group ids or ``*``."""
    count: int = 1
    """How many different people must approve; at least 1."""
    ttl_seconds: float = DEFAULT_APPROVAL_TTL_SECONDS
    """Seconds after which an unanswered request expires."""


@dataclass(frozen=True)
class Group:
    """A named set of people: user ids and Slack user-group ids."""

    name: str
    members: frozenset[str]


@dataclass(frozen=True)
class Rule:
    """One entry of ``rules``; ``None`` scopes mean the key was absent, which matches anything."""

    commands: frozenset[str]
    """Command names as typed, or ``*``."""
    allow: tuple[str, ...]
    """Who may run them: group names, user ids, Slack user-group ids or ``*``."""
    namespaces: frozenset[str] | None = None
    clusters: frozenset[str] | None = None
    approval: ApprovalRequirement | None = None
    window: str | None = None
    """The name of the window its commands that change something run in (``windows``), if any."""


@dataclass(frozen=True)
class FreezeRules:
    """Who may freeze and unfreeze a cluster, and who may approve a break-glass during a freeze."""

    by: tuple[str, ...]
    """Who may ``freeze`` and ``unfreeze``: group names, user ids, Slack user-group ids or ``*``."""
    incident: tuple[str, ...]
    """The incident group: one of them must approve a command that breaks the glass."""


@dataclass(frozen=True)
class Policy:
    """A whole access policy; build it with :func:`bot.core.policy_file.load_policy`."""

    rules: tuple[Rule, ...]
    groups: tuple[Group, ...] = ()
    channels: frozenset[str] | None = None
    """Channel ids where commands are accepted; ``None`` accepts every channel and DMs."""
    default_namespace: str = DEFAULT_NAMESPACE
    channel_clusters: tuple[tuple[str, str], ...] = ()
    """(channel id, cluster name) pairs: the cluster a channel's commands go to without ``--cluster``."""
    identities: Identities = field(default_factory=Identities)
    """Whose permissions each cluster's jobs use, and the Kubernetes identity of each person."""
    source: str = "<policy>"
    """Where the policy came from, for messages: a file path or ``<demo>``."""
    registry: Registry = REGISTRY
    """The commands the rules were checked against and are decided over."""
    windows: tuple[Window, ...] = ()
    """The change windows rules and clusters may name."""
    cluster_windows: tuple[tuple[str, str], ...] = ()
    """(cluster, window name) pairs: every change on that cluster runs inside that window."""
    freezes: FreezeRules | None = None
    """Who may freeze; ``None``: nobody may (``freeze`` is refused)."""

    def window(self, name: str | None) -> Window | None:
        """The window called ``name``, or None (no name, or none defined by it)."""
        return next((window for window in self.windows if window.name == name), None)


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`decide`: allowed or not, which rule said so, and why, in words."""

    allowed: bool
    rule: int | None
    """1-based index of the deciding rule; ``None`` for a default deny, a refused channel, approve/deny."""
    reason: str = ""
    """The sentence to show the user when denied; empty when allowed."""
    approval: ApprovalRequirement | None = None
    """Set when the command is allowed but must be approved first."""
    window: Window | None = None
    """Set when the command changes something and its rule names a window it must run in."""


def decide(
    policy: Policy,
    *,
    user: str,
    user_groups: frozenset[str] = frozenset(),
    command: str,
    channel: str,
    namespace: str | None,
    cluster: str,
) -> Decision:
    """Decide whether ``user`` may run ``command`` in ``channel`` against ``namespace`` on ``cluster``.

    ``namespace`` is ``None`` for cluster-scoped commands. ``user_groups`` are the Slack user-group
    ids (``S…``) the user belongs to. Raises ``ValueError`` for a command name outside the
    vocabulary, which is a programming error: the grammar only produces known names.
    """
    spec = policy.registry.get(command)
    if spec is None:
        raise ValueError(
            f"unknown command {command!r}; expected one of the registry's {policy.registry.names}"
        )
    if not channel_accepted(policy, channel=channel):
        return Decision(
            allowed=False,
            rule=None,
            reason=messages.channel_refused(channel=channel, channels=sorted(policy.channels or ())),
        )
    if not spec.governed:
        return Decision(allowed=True, rule=None)
    for index, rule in enumerate(policy.rules, start=1):
        if not _rule_matches(rule, command=spec, namespace=namespace, cluster=cluster):
            continue
        if _any_principal_matches(policy, rule.allow, user=user, user_groups=user_groups):
            named = rule.window or dict(policy.cluster_windows).get(cluster)
            window = policy.window(named) if not spec.read_only else None
            return Decision(allowed=True, rule=index, approval=rule.approval, window=window)
        return Decision(
            allowed=False,
            rule=index,
            reason=messages.denied_by_rule(rule=index, command=command, allowed=rule.allow),
        )
    return Decision(
        allowed=False,
        rule=None,
        reason=messages.denied_by_default(command=command, namespace=namespace, cluster=cluster),
    )


def channel_accepted(policy: Policy, *, channel: str) -> bool:
    """Whether commands are accepted in ``channel`` at all (DM ids start with ``D``)."""
    return policy.channels is None or channel in policy.channels


def channel_cluster(policy: Policy, *, channel: str) -> str | None:
    """The cluster ``channel``'s commands go to when they name none, or ``None`` to use the bot's own."""
    return dict(policy.channel_clusters).get(channel)


def allowed_commands(
    policy: Policy,
    *,
    user: str,
    user_groups: frozenset[str] = frozenset(),
    channel: str,
    cluster: str,
) -> tuple[str, ...]:
    """The commands this person may run somewhere on ``cluster`` from ``channel``, in ``help`` order.

    A command counts if it is allowed for at least one namespace (or cluster-wide). ``approve`` and
    ``deny`` are listed only for people who are approvers under some rule, ``freeze`` and ``unfreeze``
    only for the policy's ``freezes.by``. Nothing is listed in a channel the policy refuses.
    """
    if not channel_accepted(policy, channel=channel):
        return ()
    namespaces = _namespaces_worth_trying(policy)
    is_some_approver = any(
        rule.approval is not None and is_approver(policy, rule.approval, user=user, user_groups=user_groups)
        for rule in policy.rules
    )
    freezes = policy.freezes
    is_freezer = freezes is not None and is_approver(
        policy, ApprovalRequirement(approvers=freezes.by), user=user, user_groups=user_groups
    )
    listed: list[str] = []
    for command in policy.registry.names:
        spec = policy.registry[command]
        if not spec.governed:
            if is_freezer if spec.by_freezers else is_some_approver:
                listed.append(command)
            continue
        if any(
            decide(
                policy,
                user=user,
                user_groups=user_groups,
                command=command,
                channel=channel,
                namespace=namespace,
                cluster=cluster,
            ).allowed
            for namespace in namespaces
        ):
            listed.append(command)
    return tuple(listed)


def is_approver(
    policy: Policy,
    requirement: ApprovalRequirement,
    *,
    user: str,
    user_groups: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``user`` is one of the people ``requirement`` names (self-approval is checked elsewhere)."""
    return _any_principal_matches(policy, requirement.approvers, user=user, user_groups=user_groups)


def gating_requirement(
    policy: Policy, *, command: str, namespace: str | None, cluster: str
) -> ApprovalRequirement | None:
    """The approval asked by the rule that decides ``command`` on ``cluster``, if that rule asks one."""
    spec = policy.registry.get(command)
    if spec is None:
        return None
    for rule in policy.rules:
        if _rule_matches(rule, command=spec, namespace=namespace, cluster=cluster):
            return rule.approval
    return None


def may_cancel(
    policy: Policy,
    *,
    user: str,
    user_groups: frozenset[str] = frozenset(),
    requester: str,
    command: str | None,
    namespace: str | None,
    cluster: str,
) -> bool:
    """Whether ``user`` may stop a job that ``requester`` asked for, running ``command`` on ``cluster``.

    The requester may; so may the approvers of the rule that gates ``command`` on the job's own
    ``cluster`` (whoever may approve such work may also stop it). A job that no approval gates, or
    whose command is not known (``None``), can be stopped by its requester only.
    """
    if user == requester:
        return True
    if command is None:
        return False
    requirement = gating_requirement(policy, command=command, namespace=namespace, cluster=cluster)
    return requirement is not None and is_approver(policy, requirement, user=user, user_groups=user_groups)


def approver_user_ids(policy: Policy, requirement: ApprovalRequirement) -> frozenset[str]:
    """The user ids named as approvers, directly or through groups, to mention on an approval card.

    Slack user-group ids and ``*`` are not expanded here; :func:`approver_usergroup_ids` gives the
    former.
    """
    return frozenset(member for member in _expand(policy, requirement.approvers) if is_user_id(member))


def approver_usergroup_ids(policy: Policy, requirement: ApprovalRequirement) -> frozenset[str]:
    """The Slack user-group ids (``S…``) named as approvers, directly or through groups."""
    return frozenset(member for member in _expand(policy, requirement.approvers) if is_usergroup_id(member))


def slack_usergroup_ids(policy: Policy) -> frozenset[str]:
    """Every Slack user-group id the policy mentions, so the chat side knows which memberships to resolve."""
    mentioned: set[str] = set()
    for group in policy.groups:
        mentioned.update(group.members)
    for rule in policy.rules:
        mentioned.update(rule.allow)
        if rule.approval is not None:
            mentioned.update(rule.approval.approvers)
    return frozenset(entry for entry in mentioned if is_usergroup_id(entry))


def group_members(policy: Policy, name: str) -> frozenset[str] | None:
    """The members of the group called ``name``, or ``None`` if the policy defines no such group."""
    for group in policy.groups:
        if group.name == name:
            return group.members
    return None


def is_user_id(text: str) -> bool:
    """Whether ``text`` has the shape of a Slack user id (``U…`` or, on Enterprise Grid, ``W…``)."""
    return len(text) > 1 and text[0] in "UW" and _is_id_tail(text[1:])


def is_usergroup_id(text: str) -> bool:
    """Whether ``text`` has the shape of a Slack user-group id (``S…``)."""
    return len(text) > 1 and text[0] == "S" and _is_id_tail(text[1:])


def _is_id_tail(text: str) -> bool:
    return all(char.isascii() and (char.isupper() or char.isdigit() or char == "_") for char in text)


def _expand(policy: Policy, principals: Iterable[str]) -> set[str]:
    """Replace group names by their members; everything else stays as written."""
    expanded: set[str] = set()
    for principal in principals:
        members = group_members(policy, principal)
        expanded.update(members if members is not None else {principal})
    return expanded


def _any_principal_matches(
    policy: Policy, principals: Iterable[str], *, user: str, user_groups: frozenset[str]
) -> bool:
    identities = user_groups | {user}
    for principal in principals:
        if principal == ANY or principal in identities:
            return True
        members = group_members(policy, principal)
        if members is not None and members & identities:
            return True
    return False


def names_command(commands: frozenset[str], command: CommandSpec) -> bool:
    """Whether a rule's ``commands`` cover ``command``: listed, or ``"*"`` unless it must be named."""
    if command.name in commands:
        return True
    return ANY in commands and not command.explicit_only


def _rule_matches(rule: Rule, *, command: CommandSpec, namespace: str | None, cluster: str) -> bool:
    if not names_command(rule.commands, command):
        return False
    if rule.namespaces is not None and ANY not in rule.namespaces and namespace not in rule.namespaces:
        return False
    return rule.clusters is None or ANY in rule.clusters or cluster in rule.clusters


def _namespaces_worth_trying(policy: Policy) -> list[str | None]:
    """Cluster-wide, every namespace a rule names, and one no rule names: together they cover every case."""
    named = sorted({ns for rule in policy.rules for ns in rule.namespaces or () if ns != ANY})
    unnamed = "-".join(["unnamed", *named])  # longer than any single name, so never equal to one
    return [None, *named, unnamed]
