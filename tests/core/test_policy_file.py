"""Loading policy files: good ones become policies; bad ones fail naming every problem by path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.core.policy import ApprovalRequirement, Group, Policy, Rule
from bot.core.policy_file import PolicyError, PolicyProblem, demo_policy, load_policy, load_policy_file
from shared.messages import policy as messages

OK_RULE = '  - {commands: [help], allow: ["*"]}\n'


def problems_of(text: str) -> list[tuple[str, str]]:
    """The (path, message) pairs a bad policy raises."""
    with pytest.raises(PolicyError) as caught:
        load_policy(textwrap.dedent(text), source="ops.yaml")
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_the_issue_example_loads_as_written() -> None:
    """The schema from the issue becomes the policy it describes, with defaults filled in."""
    policy = load_policy(
        textwrap.dedent(
            """
            default_namespace: default
            channels: [C0OPS]
            groups:
              oncall: [U01ALICE, U02BOB]
              leads:  [U02BOB, S0LEADS]
            rules:
              - commands: [help, nodes, status, history, jobs, timeline]
                allow: ["*"]
              - commands: [cordon, uncordon]
                allow: [oncall]
              - commands: [drain, rollback, scale, restart, image]
                allow: [oncall]
                namespaces: ["*"]
                approval: {approvers: [leads], count: 1, ttl: 15m}
            """
        ),
        source="issue.yaml",
    )
    assert policy == Policy(
        rules=(
            Rule(
                commands=frozenset({"help", "nodes", "status", "history", "jobs", "timeline"}), allow=("*",)
            ),
            Rule(commands=frozenset({"cordon", "uncordon"}), allow=("oncall",)),
            Rule(
                commands=frozenset({"drain", "rollback", "scale", "restart", "image"}),
                allow=("oncall",),
                namespaces=frozenset({"*"}),
                approval=ApprovalRequirement(approvers=("leads",), count=1, ttl_seconds=900),
            ),
        ),
        groups=(
            Group(name="oncall", members=frozenset({"U01ALICE", "U02BOB"})),
            Group(name="leads", members=frozenset({"U02BOB", "S0LEADS"})),
        ),
        channels=frozenset({"C0OPS"}),
        default_namespace="default",
        source="issue.yaml",
    )


def test_the_demo_policy_ships_as_package_data_and_loads() -> None:
    """demo_policy() reads bot/policies/demo.yaml through importlib.resources; it has six rules."""
    policy = demo_policy()
    assert (len(policy.rules), policy.source, policy.default_namespace) == (
        6,
        "bot/policies/demo.yaml",
        "default",
    )


def test_a_policy_file_is_read_from_disk(tmp_path: Path) -> None:
    """load_policy_file reads the file and names it as the source."""
    path = tmp_path / "policy.yaml"
    path.write_text("rules:\n" + OK_RULE, encoding="utf-8")
    assert load_policy_file(path).source == str(path)


def test_a_missing_policy_file_is_a_policy_error(tmp_path: Path) -> None:
    """An unreadable file is reported the same way as a bad one, naming the file."""
    with pytest.raises(PolicyError) as caught:
        load_policy_file(tmp_path / "absent.yaml")
    assert caught.value.source == str(tmp_path / "absent.yaml")
    assert caught.value.problems[0].message.startswith("cannot read the policy file")


GROUPS = "groups:\n  oncall: [U_ALICE]\n  leads: [U_BOB, U_CAROL]\n"

BAD_POLICIES = [
    pytest.param(
        GROUPS + "rules:\n  - {commands: [help, drian], allow: [oncall]}\n",
        "rules[0].commands[1]",
        messages.unknown_command(name="drian", suggestion="drain"),
        id="misspelt-command-with-suggestion",
    ),
    pytest.param(
        "rules:\n  - {commands: [upgrade], allow: ['*']}\n",
        "rules[0].commands[0]",
        messages.unknown_command(name="upgrade", suggestion="upgrade plan"),
        id="multi-word-command-named-by-its-first-word",
    ),
    pytest.param(
        "rules:\n  - {commands: [approve], allow: ['*']}\n",
        "rules[0].commands[0]",
        messages.ungoverned_command(name="approve"),
        id="approve-in-a-rule",
    ),
    pytest.param(
        GROUPS + "rules:\n  - {commands: [drain], allow: [oncal]}\n",
        "rules[0].allow[0]",
        messages.unknown_principal(name="oncal", suggestion="oncall"),
        id="unknown-group-in-allow",
    ),
    pytest.param(
        GROUPS + "rules:\n  - {commands: [drain], allow: [oncall], approval: {approvers: [lead]}}\n",
        "rules[0].approval.approvers[0]",
        messages.unknown_principal(name="lead", suggestion="leads"),
        id="unknown-approver-group",
    ),
    pytest.param(
        GROUPS
        + "rules:\n  - {commands: [drain], allow: [oncall], approval: {approvers: [leads], ttl: soon}}\n",
        "rules[0].approval.ttl",
        messages.bad_ttl(text="soon", detail="'soon' is not a duration; write it like 90s, 15m or 1h30m"),
        id="bad-ttl",
    ),
    pytest.param(
        GROUPS
        + "rules:\n  - {commands: [drain], allow: [oncall], approval: {approvers: [leads], ttl: 0s}}\n",
        "rules[0].approval.ttl",
        messages.bad_ttl(text="0s", detail="it must be longer than zero"),
        id="zero-ttl",
    ),
    pytest.param(
        GROUPS
        + "rules:\n  - {commands: [drain], allow: [oncall], approval: {approvers: [leads], count: 0}}\n",
        "rules[0].approval.count",
        messages.bad_count(value=0),
        id="zero-count",
    ),
    pytest.param(
        GROUPS
        + "rules:\n  - {commands: [drain], allow: [oncall], approval: {approvers: [leads], count: 3}}\n",
        "rules[0].approval.count",
        messages.count_exceeds_approvers(count=3, approvers=2),
        id="count-beyond-the-named-approvers",
    ),
    pytest.param(
        "rules:\n  - {commands: [drain], allow: ['*'], approvals: {approvers: [U_BOB]}}\n",
        "rules[0].approvals",
        messages.unknown_key(
            key="approvals",
            allowed=["commands", "allow", "namespaces", "clusters", "approval", "window"],
            suggestion="approval",
        ),
        id="unknown-rule-key",
    ),
    pytest.param(
        "rule:\n" + OK_RULE,
        "rule",
        messages.unknown_key(
            key="rule",
            allowed=[
                "default_namespace",
                "channels",
                "channel_clusters",
                "groups",
                "rules",
                "clusters",
                "identities",
                "windows",
                "freezes",
            ],
            suggestion="rules",
        ),
        id="unknown-top-level-key",
    ),
    pytest.param(
        "rules: []\n",
        "rules",
        messages.no_rules(),
        id="empty-rules",
    ),
    pytest.param(
        "groups: {}\n",
        "rules",
        messages.no_rules(),
        id="missing-rules",
    ),
    pytest.param(
        "rules:\n  - {commands: drain, allow: ['*']}\n",
        "rules[0].commands",
        messages.wrong_type(expected="a list", got="the text 'drain'"),
        id="string-where-a-list-is-needed",
    ),
    pytest.param(
        "rules:\n  - {commands: [drain]}\n",
        "rules[0].allow",
        messages.missing_key(key="allow", hint="list who may run these commands, or '*'"),
        id="rule-without-allow",
    ),
    pytest.param(
        "rules:\n  - {commands: [], allow: ['*']}\n",
        "rules[0].commands",
        messages.empty_list(hint="list commands, or '*'"),
        id="empty-commands",
    ),
    pytest.param(
        "channels: ['#ops']\nrules:\n" + OK_RULE,
        "channels[0]",
        messages.bad_channel(channel="#ops"),
        id="channel-name-instead-of-id",
    ),
    pytest.param(
        "groups:\n  oncall: [alice]\nrules:\n" + OK_RULE,
        "groups.oncall[0]",
        messages.bad_group_member(member="alice", is_group=False),
        id="display-name-instead-of-user-id",
    ),
    pytest.param(
        "groups:\n  oncall: [U_ALICE]\n  everyone: [oncall]\nrules:\n" + OK_RULE,
        "groups.everyone[0]",
        messages.bad_group_member(member="oncall", is_group=True),
        id="group-inside-a-group",
    ),
    pytest.param(
        "groups:\n  Oncall: [U_ALICE]\nrules:\n" + OK_RULE,
        "groups.Oncall",
        messages.bad_group_name(name="Oncall"),
        id="group-name-that-looks-like-an-id",
    ),
    pytest.param(
        "rules:\n  - {commands: [scale], allow: ['*'], namespaces: [Prod]}\n",
        "rules[0].namespaces[0]",
        messages.bad_namespace(name="Prod"),
        id="invalid-namespace",
    ),
    pytest.param(
        "default_namespace: 7\nrules:\n" + OK_RULE,
        "default_namespace",
        messages.wrong_type(expected="a namespace name", got="the number 7"),
        id="non-text-default-namespace",
    ),
    pytest.param(
        "rules:\n  - {commands: ['*'], allow: [U_ALICE]}\n  - {commands: [status, drain], allow: ['*']}\n",
        "rules[1].commands[1]",
        messages.shadowed_command(command="drain", earlier="rules[0]"),
        id="command-an-earlier-rule-always-decides",
    ),
    pytest.param(
        "- just a list\n",
        "",
        messages.wrong_type(expected="a mapping with a 'rules' key", got="a list"),
        id="document-that-is-not-a-mapping",
    ),
]


@pytest.mark.parametrize(("text", "path", "message"), BAD_POLICIES)
def test_each_bad_policy_is_refused_naming_the_entry(text: str, path: str, message: str) -> None:
    """Each mistake is reported at the path of the offending entry, with a sentence saying how to fix it."""
    assert (path, message) in problems_of(text)


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    """Three unrelated mistakes come back together, in file order, each with its line."""
    text = textwrap.dedent(
        """\
        groups:
          oncall: [U_ALICE]
        rules:
          - commands: [drian]
            allow: [oncall]
          - commands: [cordon]
            allow: [oncal]
            approval: {approvers: [oncall], ttl: forever}
        """
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(text, source="ops.yaml")
    assert caught.value.problems == (
        PolicyProblem("rules[0].commands[0]", messages.unknown_command(name="drian", suggestion="drain"), 4),
        PolicyProblem("rules[1].allow[0]", messages.unknown_principal(name="oncal", suggestion="oncall"), 7),
        PolicyProblem(
            "rules[1].approval.ttl",
            messages.bad_ttl(
                text="forever", detail="'forever' is not a duration; write it like 90s, 15m or 1h30m"
            ),
            8,
        ),
    )
    assert str(caught.value).splitlines()[1:] == [
        f"  ops.yaml:4: rules[0].commands[0]: {caught.value.problems[0].message}",
        f"  ops.yaml:7: rules[1].allow[0]: {caught.value.problems[1].message}",
        f"  ops.yaml:8: rules[1].approval.ttl: {caught.value.problems[2].message}",
    ]
    assert str(caught.value).splitlines()[0] == "The policy in ops.yaml cannot be used (3 problems):"


def test_yaml_syntax_errors_are_policy_errors_with_a_line() -> None:
    """Broken YAML is reported like any other problem, pointing at the line."""
    with pytest.raises(PolicyError) as caught:
        load_policy("rules:\n  - {commands: [help, allow: ['*']}\n", source="ops.yaml")
    (problem,) = caught.value.problems
    assert problem.message.startswith("not valid YAML") and problem.line == 2


def test_a_count_reachable_only_through_slack_groups_is_accepted() -> None:
    """When approvers include an S… group the bot cannot count them at load time, so the count stands."""
    policy = load_policy(
        "rules:\n  - {commands: [drain], allow: ['*'], approval: {approvers: [S0LEADS], count: 3}}\n"
    )
    assert policy.rules[0].approval == ApprovalRequirement(approvers=("S0LEADS",), count=3, ttl_seconds=900)


def test_a_narrower_earlier_rule_does_not_shadow_a_wider_later_one() -> None:
    """Rule 1 covers drain only in prod, so rule 2's drain still decides everywhere else and loads."""
    policy = load_policy(
        "rules:\n"
        "  - {commands: [drain], allow: [U_ALICE], namespaces: [prod]}\n"
        "  - {commands: [drain], allow: ['*']}\n"
    )
    assert len(policy.rules) == 2


def test_a_bare_number_ttl_means_seconds() -> None:
    """ttl: 600 is ten minutes, as a bare number is seconds everywhere else too."""
    policy = load_policy(
        "rules:\n  - {commands: [drain], allow: ['*'], approval: {approvers: ['*'], ttl: 600}}\n"
    )
    assert policy.rules[0].approval == ApprovalRequirement(approvers=("*",), count=1, ttl_seconds=600)
