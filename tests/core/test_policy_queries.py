"""What the rest of the bot asks the policy besides decide(): help listings, approvers, Slack groups."""

from __future__ import annotations

import pytest

from bot.core.policy import (
    ApprovalRequirement,
    allowed_commands,
    approver_user_ids,
    approver_usergroup_ids,
    is_approver,
    slack_usergroup_ids,
)
from bot.core.policy_file import demo_policy, load_policy
from shared.registry import REGISTRY

COMMAND_NAMES = REGISTRY.names
READ_ONLY_COMMANDS = REGISTRY.read_only

READ_ONLY_IN_HELP_ORDER = tuple(name for name in COMMAND_NAMES if name in READ_ONLY_COMMANDS)
READ_ONLY_WITH_SECRETS = READ_ONLY_COMMANDS | {"backup secrets"}
"""What the lead Carol may run: reading, and the backups with Secrets that the demo grants leads only."""


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (
            "U_ALICE",
            tuple(
                name
                for name in COMMAND_NAMES
                if name not in {"approve", "deny", "freeze", "unfreeze", "backup secrets"}
            ),
        ),
        ("U_BOB", COMMAND_NAMES),
        (
            "U_CAROL",
            (
                *(name for name in COMMAND_NAMES if name in READ_ONLY_WITH_SECRETS),
                "approve",
                "deny",
                "freeze",
                "unfreeze",
            ),
        ),
        ("U_DAVE", READ_ONLY_IN_HELP_ORDER),
    ],
    ids=["oncall-sees-every-command", "oncall-lead-also-approves", "lead-reads-and-approves", "viewer-reads"],
)
def test_help_lists_what_each_demo_user_may_run_in_vocabulary_order(
    user: str, expected: tuple[str, ...]
) -> None:
    """help shows only commands the person may run, approve/deny only to approvers, freeze/unfreeze only to
    the policy's freezes.by (the leads), in COMMAND_NAMES order."""
    assert allowed_commands(demo_policy(), user=user, channel="C0OPS", cluster="main") == expected


def test_help_counts_a_command_allowed_in_any_one_namespace() -> None:
    """Scaling allowed only in payments still appears in help; a command denied everywhere does not."""
    policy = load_policy(
        """
        rules:
          - {commands: [scale], allow: [U_ALICE], namespaces: [payments]}
          - {commands: [drain], allow: [U_ALICE], clusters: [other]}
          - {commands: [status], allow: ["*"], namespaces: [payments]}
          - {commands: [status], allow: [U_ALICE]}
        """
    )
    assert allowed_commands(policy, user="U_ALICE", channel="C1", cluster="main") == ("status", "scale")
    assert allowed_commands(policy, user="U_DAVE", channel="C1", cluster="main") == ("status",)


def test_help_lists_nothing_in_a_refused_channel() -> None:
    """Where the policy takes no commands, help has nothing to offer."""
    policy = load_policy('channels: [C0OPS]\nrules:\n  - {commands: ["*"], allow: ["*"]}\n')
    assert allowed_commands(policy, user="U_ALICE", channel="C0OTHER", cluster="main") == ()


def test_help_honours_slack_user_groups() -> None:
    """Membership in a listed S… group shows up in help like any other grant."""
    policy = load_policy("rules:\n  - {commands: [cordon], allow: [S0SRE]}\n")
    listed = allowed_commands(
        policy, user="U_ERIN", user_groups=frozenset({"S0SRE"}), channel="C1", cluster="c"
    )
    assert listed == ("cordon",)


LEADS = ApprovalRequirement(approvers=("leads",))


@pytest.mark.parametrize(
    ("user", "user_groups", "expected"),
    [
        ("U_BOB", frozenset(), True),
        ("U_CAROL", frozenset(), True),
        ("U_ALICE", frozenset(), False),
        ("U_DAVE", frozenset({"S0ANY"}), False),
    ],
    ids=["lead-and-oncall", "lead-only", "oncall-only", "viewer"],
)
def test_only_the_named_approvers_are_approvers(
    user: str, user_groups: frozenset[str], expected: bool
) -> None:
    """In the demo, leads approve; being on call is not enough."""
    assert is_approver(demo_policy(), LEADS, user=user, user_groups=user_groups) is expected


def test_approvers_may_be_named_by_slack_user_group_and_by_id() -> None:
    """A Slack user group and a raw user id both make approvers, and ids can be listed for a card."""
    policy = load_policy("groups: {leads: [U_BOB, S0LEADS]}\nrules:\n  - {commands: [help], allow: ['*']}\n")
    requirement = ApprovalRequirement(approvers=("leads", "U_CAROL", "S0DBA"))
    assert is_approver(policy, requirement, user="U_ERIN", user_groups=frozenset({"S0DBA"}))
    assert is_approver(policy, requirement, user="U_CAROL")
    assert not is_approver(policy, requirement, user="U_ERIN")
    assert approver_user_ids(policy, requirement) == {"U_BOB", "U_CAROL"}
    assert approver_usergroup_ids(policy, requirement) == {"S0LEADS", "S0DBA"}


def test_slack_usergroup_ids_lists_every_s_id_the_policy_mentions() -> None:
    """Groups, allow lists and approvers are all searched, so the chat side resolves exactly these."""
    policy = load_policy(
        """
        groups: {leads: [U_BOB, S0LEADS]}
        rules:
          - {commands: [cordon], allow: [S0SRE, U_ALICE]}
          - {commands: [drain], allow: [leads], approval: {approvers: [S0DBA]}}
        """
    )
    assert slack_usergroup_ids(policy) == {"S0LEADS", "S0SRE", "S0DBA"}
    assert slack_usergroup_ids(demo_policy()) == frozenset()
