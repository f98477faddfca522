"""A channel's default cluster: written in the policy, checked at load, and consulted after ``--cluster``."""

from __future__ import annotations

import textwrap

import pytest

from bot.core.policy import channel_cluster
from bot.core.policy_file import PolicyError, load_policy
from shared.messages import policy as messages

RULES = 'rules:\n  - {commands: ["*"], allow: ["*"]}\n'


def problems_of(text: str) -> list[tuple[str, int | None, str]]:
    """The (path, line, message) triples a bad policy raises."""
    with pytest.raises(PolicyError) as caught:
        load_policy(textwrap.dedent(text), source="ops.yaml")
    return [(problem.path, problem.line, problem.message) for problem in caught.value.problems]


def test_each_listed_channel_gets_its_cluster_and_others_get_none() -> None:
    """Listed channels name their cluster; any other channel falls back to the bot's own (None)."""
    policy = load_policy("channel_clusters:\n  C0EU: prod-eu\n  C0US: prod-us.east\n" + RULES)
    assert channel_cluster(policy, channel="C0EU") == "prod-eu"
    assert channel_cluster(policy, channel="C0US") == "prod-us.east"
    assert channel_cluster(policy, channel="C0OTHER") is None


def test_a_policy_without_channel_clusters_routes_nothing() -> None:
    """Leaving the key out keeps every channel on the bot's configured cluster."""
    assert channel_cluster(load_policy(RULES), channel="C0EU") is None


def test_a_channel_name_instead_of_an_id_is_reported_with_its_line() -> None:
    """Channel names change, so a name is refused, at the line it is written on."""
    assert problems_of("channel_clusters:\n  '#ops': prod\n" + RULES) == [
        ("channel_clusters.#ops", 2, messages.bad_channel(channel="#ops"))
    ]


def test_a_cluster_name_that_cluster_would_refuse_is_reported() -> None:
    """Only names ``--cluster`` accepts may be a channel's default."""
    assert problems_of("channel_clusters:\n  C0EU: prod eu\n" + RULES) == [
        ("channel_clusters.C0EU", 2, messages.bad_cluster_name(name="prod eu"))
    ]


def test_a_cluster_given_as_a_list_is_reported() -> None:
    """Each channel has one default cluster, not several."""
    assert problems_of("channel_clusters:\n  C0EU: [a, b]\n" + RULES) == [
        ("channel_clusters.C0EU", 2, messages.wrong_type(expected="a cluster name", got="a list"))
    ]


def test_a_channel_the_policy_refuses_cannot_have_a_default_cluster() -> None:
    """With ``channels`` set, a default for a channel outside it is dead configuration and an error."""
    text = "channels: [C0OPS]\nchannel_clusters:\n  C0OPS: a\n  C0ELSE: b\n" + RULES
    assert problems_of(text) == [
        ("channel_clusters.C0ELSE", 4, messages.channel_cluster_not_accepted(channel="C0ELSE"))
    ]


def test_channel_clusters_must_be_a_mapping() -> None:
    """A list of clusters is not a mapping from channels, and says so."""
    assert problems_of("channel_clusters: [a, b]\n" + RULES) == [
        (
            "channel_clusters",
            1,
            messages.wrong_type(expected="a mapping of channel ids to cluster names", got="a list"),
        )
    ]
