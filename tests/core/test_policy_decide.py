"""decide() as a specification: the demo policy as a matrix, then each rule of the semantics on its own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.policy import ApprovalRequirement, Decision, Policy, decide
from bot.core.policy_file import demo_policy, load_policy
from shared.messages import policy as messages
from shared.registry import REGISTRY

COMMAND_NAMES = REGISTRY.names
READ_ONLY_COMMANDS = REGISTRY.read_only

LEADS_APPROVE = ApprovalRequirement(approvers=("leads",), count=1, ttl_seconds=900)
BOTH_LEADS_APPROVE = ApprovalRequirement(approvers=("leads",), count=2, ttl_seconds=1800)
RISKY: tuple[str, ...] = ("drain", "maintain", "rollback", "scale", "image", "strategy")
RISKY += ("upgrade control-plane", "upgrade nodes")
UNAPPROVED_WRITES: tuple[str, ...] = (
    "cordon",
    "uncordon",
    "unmaintain",
    "restart",
    "pause",
    "resume",
    "backup config",
)
UNAPPROVED_WRITES += ("etcd snapshot", "cancel", "incident open", "incident close", "note")


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: who runs what, where, and what the policy should say."""

    user: str
    command: str
    allowed: bool
    rule: int | None
    approval: ApprovalRequirement | None = None
    namespace: str | None = "default"
    channel: str = "C0OPS"
    cluster: str = "main"

    @property
    def id(self) -> str:
        verdict = "allowed" if self.allowed else "denied"
        if self.approval is not None:
            verdict += "-with-approval"
        by = f"rule-{self.rule}" if self.rule is not None else "default"
        return f"{self.user}-{self.command.replace(' ', '_')}-{verdict}-by-{by}"


def demo_matrix() -> list[Case]:
    """Every demo user against every governed command, written out from the demo's rule table."""
    cases: list[Case] = []
    for user in ("U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"):
        on_call = user in {"U_ALICE", "U_BOB"}
        for command in sorted(READ_ONLY_COMMANDS):
            cases.append(Case(user, command, allowed=True, rule=1))
        for command in ("cordon", "uncordon"):
            cases.append(Case(user, command, allowed=on_call, rule=2))
        for command in RISKY:
            cases.append(Case(user, command, on_call, rule=3, approval=LEADS_APPROVE if on_call else None))
        approval = BOTH_LEADS_APPROVE if on_call else None
        cases.append(Case(user, "etcd restore", on_call, rule=4, approval=approval, namespace=None))
        cases.append(Case(user, "backup secrets", allowed=user in {"U_BOB", "U_CAROL"}, rule=5))
        for command in UNAPPROVED_WRITES:
            if command not in {"cordon", "uncordon"}:
                cases.append(Case(user, command, allowed=on_call, rule=6))
    return cases


def run(policy: Policy, case: Case, *, user_groups: frozenset[str] = frozenset()) -> Decision:
    """decide() for one case."""
    return decide(
        policy,
        user=case.user,
        user_groups=user_groups,
        command=case.command,
        channel=case.channel,
        namespace=case.namespace,
        cluster=case.cluster,
    )


def test_the_demo_matrix_covers_every_governed_command() -> None:
    """The matrix below leaves no command the rules govern untested (approve, deny, freeze and unfreeze
    are decided by the request they answer and by the policy's freezes)."""
    covered = {case.command for case in demo_matrix()}
    assert covered == {name for name in COMMAND_NAMES if REGISTRY[name].governed}
    assert set(COMMAND_NAMES) - covered == {"approve", "deny", "freeze", "unfreeze"}


@pytest.mark.parametrize("case", demo_matrix(), ids=lambda case: case.id)
def test_the_demo_policy_decides_each_user_and_command(case: Case) -> None:
    """Each demo user gets the verdict, deciding rule and approval requirement the demo file documents."""
    decision = run(demo_policy(), case)
    assert (decision.allowed, decision.rule, decision.approval) == (case.allowed, case.rule, case.approval)


@pytest.mark.parametrize(
    ("namespace", "cluster", "channel"),
    [
        ("default", "main", "C0OPS"),
        (None, "main", "C0OPS"),
        ("payments", "staging", "D0DM"),
        (None, "edge", "G0x"),
    ],
    ids=["namespaced", "cluster-scoped", "other-cluster-in-a-dm", "cluster-scoped-elsewhere"],
)
def test_the_demo_policy_does_not_depend_on_place(namespace: str | None, cluster: str, channel: str) -> None:
    """The demo restricts no channel, namespace or cluster: Alice's drain needs approval anywhere."""
    case = Case(
        "U_ALICE", "drain", True, 3, LEADS_APPROVE, namespace=namespace, channel=channel, cluster=cluster
    )
    assert run(demo_policy(), case) == Decision(allowed=True, rule=3, approval=LEADS_APPROVE)


def test_an_allowed_decision_has_no_reason() -> None:
    """Only denials carry a sentence."""
    assert run(demo_policy(), Case("U_ALICE", "cordon", True, 2)).reason == ""


def test_a_denial_names_the_rule_and_who_it_allows() -> None:
    """Dave's drain is refused by rule 3, and the sentence says only oncall may run it."""
    decision = run(demo_policy(), Case("U_DAVE", "drain", False, 3))
    assert decision.reason == messages.denied_by_rule(rule=3, command="drain", allowed=("oncall",))
    assert "rule 3" in decision.reason and "only oncall" in decision.reason and "`drain`" in decision.reason


SCOPED = """
groups:
  oncall: [U_ALICE]
rules:
  - commands: [scale]
    allow: [oncall]
    namespaces: [payments]
    clusters: [prod]
  - commands: [status]
    allow: ["*"]
    namespaces: [default]
"""


@pytest.mark.parametrize(
    ("command", "namespace", "cluster", "allowed", "rule"),
    [
        ("scale", "payments", "prod", True, 1),
        ("scale", "payments", "staging", False, None),
        ("scale", "default", "prod", False, None),
        ("status", "default", "anywhere", True, 2),
        ("status", None, "anywhere", False, None),
    ],
    ids=[
        "listed-namespace-and-cluster",
        "other-cluster-falls-through-to-default-deny",
        "other-namespace-falls-through-to-default-deny",
        "rule-without-clusters-matches-any-cluster",
        "cluster-scoped-command-never-matches-listed-namespaces",
    ],
)
def test_rules_match_only_their_namespaces_and_clusters(
    command: str, namespace: str | None, cluster: str, allowed: bool, rule: int | None
) -> None:
    """A rule with namespaces or clusters matches only there; a cluster-scoped command has no namespace."""
    decision = run(
        load_policy(SCOPED), Case("U_ALICE", command, allowed, rule, namespace=namespace, cluster=cluster)
    )
    assert (decision.allowed, decision.rule) == (allowed, rule)


def test_a_command_no_rule_covers_is_denied_by_default_with_the_scope_named() -> None:
    """Deny by default: the sentence says nothing covers this command here."""
    decision = run(load_policy(SCOPED), Case("U_ALICE", "drain", False, None, namespace="payments"))
    assert decision == Decision(
        allowed=False,
        rule=None,
        reason=messages.denied_by_default(command="drain", namespace="payments", cluster="main"),
    )


def test_the_first_matching_rule_decides_even_when_a_later_rule_would_allow() -> None:
    """Rule 1 matches Carol's scale in prod and refuses; rule 2, which allows anyone, is never consulted."""
    policy = load_policy(
        """
        groups: {oncall: [U_ALICE]}
        rules:
          - {commands: [scale], allow: [oncall], namespaces: [prod]}
          - {commands: [scale], allow: ["*"]}
        """
    )
    in_prod = run(policy, Case("U_CAROL", "scale", False, 1, namespace="prod"))
    in_dev = run(policy, Case("U_CAROL", "scale", True, 2, namespace="dev"))
    assert (in_prod.allowed, in_prod.rule) == (False, 1)
    assert (in_dev.allowed, in_dev.rule) == (True, 2)


@pytest.mark.parametrize(
    ("rule_yaml", "command", "namespace", "cluster"),
    [
        ('{commands: ["*"], allow: [U_ALICE]}', "etcd restore", None, "main"),
        ('{commands: [drain], allow: ["*"]}', "drain", None, "main"),
        ('{commands: [scale], allow: [U_ALICE], namespaces: ["*"]}', "scale", "kube-system", "main"),
        ('{commands: [drain], allow: [U_ALICE], namespaces: ["*"]}', "drain", None, "main"),
        ('{commands: [scale], allow: [U_ALICE], clusters: ["*"]}', "scale", "default", "far-away"),
    ],
    ids=[
        "star-command-means-every-command",
        "star-allow-means-anyone",
        "star-namespace-means-any-namespace",
        "star-namespace-includes-cluster-scoped",
        "star-cluster-means-any-cluster",
    ],
)
def test_the_star_forms_match_everything_in_their_place(
    rule_yaml: str, command: str, namespace: str | None, cluster: str
) -> None:
    """'*' stands for every command, anyone, any namespace (cluster-wide too) or any cluster."""
    policy = load_policy(f"rules:\n  - {rule_yaml}\n")
    decision = run(policy, Case("U_ALICE", command, True, 1, namespace=namespace, cluster=cluster))
    assert (decision.allowed, decision.rule) == (True, 1)


USERGROUPS = """
groups:
  oncall: [U_ALICE, S0SRE]
rules:
  - {commands: [cordon], allow: [oncall]}
  - {commands: [drain], allow: [S0PLATFORM]}
"""


@pytest.mark.parametrize(
    ("user_groups", "command", "allowed"),
    [
        (frozenset({"S0SRE"}), "cordon", True),
        (frozenset(), "cordon", False),
        (frozenset({"S0PLATFORM"}), "drain", True),
        (frozenset({"S0SRE"}), "drain", False),
    ],
    ids=[
        "member-of-a-slack-group-listed-in-a-policy-group",
        "same-user-without-that-membership",
        "member-of-a-slack-group-listed-directly",
        "member-of-another-slack-group",
    ],
)
def test_slack_user_groups_grant_what_their_members_may_run(
    user_groups: frozenset[str], command: str, allowed: bool
) -> None:
    """An S… id counts for everyone the chat side says belongs to it, in groups or directly in allow."""
    decision = run(load_policy(USERGROUPS), Case("U_ERIN", command, allowed, None), user_groups=user_groups)
    assert decision.allowed is allowed


CHANNELS = """
channels: [C0OPS, G0PRIVATE]
rules:
  - {commands: ["*"], allow: ["*"]}
"""


@pytest.mark.parametrize(
    ("channel", "allowed"),
    [("C0OPS", True), ("G0PRIVATE", True), ("C0RANDOM", False), ("D0ALICE", False)],
    ids=["listed-channel", "listed-private-channel", "other-channel", "direct-message"],
)
def test_channels_restrict_where_commands_are_accepted(channel: str, allowed: bool) -> None:
    """With channels set, only those ids are accepted; DMs and other channels are refused without a rule."""
    decision = run(load_policy(CHANNELS), Case("U_ALICE", "status", allowed, None, channel=channel))
    assert (decision.allowed, decision.rule) == ((True, 1) if allowed else (False, None))


def test_a_refused_channel_says_where_commands_are_accepted() -> None:
    """The refusal lists the accepted channels, and says so plainly for a DM."""
    decision = run(load_policy(CHANNELS), Case("U_ALICE", "status", False, None, channel="D0ALICE"))
    assert decision.reason == messages.channel_refused(channel="D0ALICE", channels=["C0OPS", "G0PRIVATE"])
    assert "direct messages" in decision.reason and "`C0OPS`" in decision.reason


def test_direct_messages_are_accepted_when_the_policy_lists_no_channels() -> None:
    """Without channels, a DM is just another place to type commands."""
    assert run(demo_policy(), Case("U_DAVE", "status", True, 1, channel="D0DAVE")).allowed is True


@pytest.mark.parametrize("command", ["approve", "deny"])
@pytest.mark.parametrize("user", ["U_CAROL", "U_DAVE", "U_STRANGER"])
def test_approve_and_deny_need_no_rule(user: str, command: str) -> None:
    """Anyone may type approve/deny; whether it counts is the approval requirement's business."""
    assert run(demo_policy(), Case(user, command, True, None)) == Decision(allowed=True, rule=None)


def test_approve_is_still_refused_outside_the_accepted_channels() -> None:
    """The channel restriction applies to every command, approvals included."""
    assert (
        run(load_policy(CHANNELS), Case("U_ALICE", "approve", False, None, channel="C0RANDOM")).allowed
        is False
    )


def test_approval_requirements_carry_count_and_ttl_from_the_rule() -> None:
    """count and ttl come through as written; ttl is in seconds."""
    policy = load_policy(
        """
        groups: {leads: [U_BOB, U_CAROL, U_ERIN]}
        rules:
          - commands: [etcd restore]
            allow: ["*"]
            approval: {approvers: [leads, S0DBA], count: 2, ttl: 1h30m}
          - {commands: [scale], allow: ["*"], approval: {approvers: [U_BOB]}}
        """
    )
    assert run(
        policy, Case("U_ALICE", "etcd restore", True, 1, namespace=None)
    ).approval == ApprovalRequirement(approvers=("leads", "S0DBA"), count=2, ttl_seconds=5400)
    assert run(policy, Case("U_ALICE", "scale", True, 2)).approval == ApprovalRequirement(
        approvers=("U_BOB",), count=1, ttl_seconds=900
    )


def test_an_unknown_command_name_is_a_programming_error() -> None:
    """The grammar only produces known names, so anything else is a bug, not a denial."""
    with pytest.raises(ValueError, match="drian"):
        run(demo_policy(), Case("U_ALICE", "drian", False, None))
