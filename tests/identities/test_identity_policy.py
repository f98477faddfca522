"""The policy's identity part: which clusters run jobs as the requester, and who each person is there."""

from __future__ import annotations

import textwrap

import pytest

from bot.core.policy_file import PolicyError, load_policy
from shared.identities import KubeIdentity, RunAs, Unmapped
from shared.messages import policy as messages

RULES = 'rules:\n  - {commands: [help], allow: ["*"]}\n'


def load(text: str):  # type: ignore[no-untyped-def]
    return load_policy(textwrap.dedent(text) + RULES, source="ops.yaml")


def problems_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as caught:
        load(text)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_a_requester_cluster_acts_as_the_mapped_person_and_the_others_as_the_bot() -> None:
    policy = load(
        """
        clusters:
          prod: {run_as: requester}
          lab: {run_as: bot}
        identities:
          U01ALICE: {user: alice@example.com, groups: [sre, oncall]}
        """
    )
    identities = policy.identities
    assert identities.acting_as(user="U01ALICE", cluster="prod") == KubeIdentity(
        user="alice@example.com", groups=("sre", "oncall")
    )
    assert identities.acting_as(user="U01ALICE", cluster="lab") is None
    assert identities.acting_as(user="U01ALICE", cluster="unlisted") is None
    assert identities.mode("unlisted") is RunAs.BOT
    assert identities.impersonated() == (frozenset({"alice@example.com"}), frozenset({"sre", "oncall"}))


def test_an_unmapped_requester_is_refused_where_jobs_run_as_the_requester() -> None:
    policy = load("clusters:\n  prod: {run_as: requester}\n")
    with pytest.raises(Unmapped) as refused:
        policy.identities.acting_as(user="U02BOB", cluster="prod")
    assert (refused.value.user, refused.value.cluster) == ("U02BOB", "prod")


def test_without_the_sections_every_cluster_acts_as_the_bot_as_before() -> None:
    assert load("").identities.acting_as(user="U01ALICE", cluster="prod") is None


def test_each_bad_identity_entry_is_named_and_all_are_reported_at_once() -> None:
    problems = problems_of(
        """
        clusters:
          prod: {run_as: everyone}
          "no such!": {run_as: bot}
        identities:
          alice: {user: alice}
          U01ALICE: {user: "system:admin"}
          U02BOB: {user: bob, groups: ["system:masters"]}
          U03CAROL: {groups: [sre]}
          U04DAVE: {user: dave, role: admin}
        """
    )
    assert problems == [
        ("clusters.prod.run_as", messages.bad_run_as(value="everyone")),
        ("clusters.no such!", messages.bad_cluster_name(name="no such!")),
        ("identities.alice", messages.bad_identity_key(key="alice")),
        ("identities.U01ALICE.user", messages.system_identity(name="system:admin")),
        ("identities.U02BOB.groups[0]", messages.system_identity(name="system:masters")),
        (
            "identities.U03CAROL",
            messages.wrong_type(expected="a mapping with a 'user' name", got="a mapping"),
        ),
        (
            "identities.U04DAVE.role",
            messages.unknown_key(key="role", allowed=("user", "groups"), suggestion=None),
        ),
    ]


def test_an_identity_travels_with_its_extras_as_json() -> None:
    identity = KubeIdentity(user="alice", groups=("sre",)).with_extra(job_id="job-1", approvers=["U02BOB"])
    assert identity.extra == {"chatops.io/job-id": ("job-1",), "chatops.io/approvers": ("U02BOB",)}
    assert KubeIdentity.from_json(identity.to_json()) == identity
