"""The version skew policy as pure rules: which rule applies, what violates it, what may come next."""

from __future__ import annotations

import pytest

from workers.versions import (
    Component,
    Version,
    check_target,
    image_tag,
    parse_version,
    rule_for,
    too_old_for,
    violations,
)


def v(text: str) -> Version:
    """A version from text (the tests' shorthand)."""
    parsed = parse_version(text)
    assert parsed is not None
    return parsed


def cluster(
    apiserver: str, *, kubelets: dict[str, str], proxy: str | None = None, followers: str | None = None
) -> list[Component]:
    """Components of a one-apiserver cluster."""
    found = [Component("kube-apiserver", "cp-1", v(apiserver))]
    found += [
        Component(kind, "cp-1", v(followers or apiserver))
        for kind in ("kube-controller-manager", "kube-scheduler")
    ]
    for node, version in kubelets.items():
        found.append(Component("kubelet", node, v(version)))
        found.append(Component("kube-proxy", node, v(proxy or version)))
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1.31.4", Version(1, 31, 4)),
        ("1.32", Version(1, 32)),
        ("v1.30.6-eks-1a2b", Version(1, 30, 6)),
        ("nginx", None),
    ],
)
def test_versions_are_read_with_or_without_v_patch_and_build_suffix(
    text: str, expected: Version | None
) -> None:
    """parse_version accepts v1.31.4, 1.32 and vendor suffixes, and rejects anything else."""
    assert parse_version(text) == expected


def test_an_image_tag_is_its_version_and_a_digest_is_ignored() -> None:
    """The version of a component comes from its image tag, with registry ports and digests handled."""
    assert image_tag("registry.k8s.io/kube-proxy:v1.31.4") == "v1.31.4"
    assert image_tag("localhost:5000/kube-apiserver:v1.30.1@sha256:" + "a" * 64) == "v1.30.1"
    assert image_tag("localhost:5000/kube-apiserver") is None


def test_from_1_28_kubelets_may_be_three_minors_behind_and_before_only_two() -> None:
    """The n-3 rule (KEP-3935) applies from kube-apiserver 1.28; older control planes keep the classic n-2."""
    assert (rule_for(v("v1.28.0")).name, rule_for(v("v1.28.0")).node_minors) == ("n-3", 3)
    assert (rule_for(v("v1.27.9")).name, rule_for(v("v1.27.9")).node_minors) == ("classic", 2)
    assert "KEP-3935" in rule_for(v("v1.31.4")).reason


def test_a_kubelet_three_behind_is_fine_under_n3_and_a_violation_under_the_classic_rule() -> None:
    """kubelet 1.28 under apiserver 1.31 is within n-3; kubelet 1.24 under apiserver 1.27 breaks n-2."""
    assert violations(cluster("v1.31.4", kubelets={"node-1": "v1.28.9"}, proxy="v1.31.4")) == []
    found = violations(cluster("v1.27.3", kubelets={"node-1": "v1.24.0"}))
    assert {(x.component.kind, str(x.allowed_low)) for x in found} == {
        ("kubelet", "v1.25"),
        ("kube-proxy", "v1.25"),
    }


def test_a_kubelet_older_than_1_25_keeps_the_two_minor_skew_under_n3() -> None:
    """Even under n-3, a kubelet before 1.25 may lag two minors only."""
    assert violations(
        cluster("v1.27.0", kubelets={"node-1": "v1.24.17"}, proxy="v1.27.0"), rule=rule_for(v("v1.28.0"))
    )


def test_nothing_may_be_newer_than_kube_apiserver() -> None:
    """A kubelet or scheduler newer than the apiserver is a violation."""
    found = violations(cluster("v1.30.2", kubelets={"node-1": "v1.31.0"}, followers="v1.31.0"))
    assert {x.component.kind for x in found} == {
        "kubelet",
        "kube-proxy",
        "kube-controller-manager",
        "kube-scheduler",
    }


def test_kube_proxy_must_stay_within_three_minors_of_its_own_kubelet() -> None:
    """Under n-3, kube-proxy four minors from the kubelet on its node is flagged even if within range of the apiserver."""
    components = [
        Component("kube-apiserver", "cp-1", v("v1.32.0")),
        Component("kubelet", "node-1", v("v1.32.0")),
        Component("kube-proxy", "node-1", v("v1.28.0")),
    ]
    found = violations(components)
    assert [x.why for x in found] == [
        "up to 3 minors older than kube-apiserver",
        "within 3 minors of its kubelet",
    ]


def test_ha_apiservers_more_than_one_minor_apart_are_a_violation() -> None:
    """Two apiservers 1.30 and 1.32 are out of the one-minor HA skew."""
    components = [
        Component("kube-apiserver", "cp-1", v("v1.30.0")),
        Component("kube-apiserver", "cp-2", v("v1.32.0")),
    ]
    assert len(violations(components)) == 2


def test_the_next_version_is_one_minor_up_and_skipping_is_refused() -> None:
    """One minor up or a newer patch is allowed; two minors up lists the minors to pass through."""
    assert check_target(v("v1.31.4"), v("v1.32")).kind == "minor"
    assert check_target(v("v1.31.4"), v("v1.31.6")).kind == "patch"
    skip = check_target(v("v1.31.4"), v("v1.33.1"))
    assert (skip.allowed, [str(x) for x in skip.intermediate]) == (False, ["v1.32", "v1.33"])
    assert check_target(v("v1.31.4"), v("v1.30.0")).kind == "downgrade"
    assert check_target(v("v1.31.4"), v("v1.31.4")).kind == "same"


def test_kubelets_three_behind_the_target_must_go_first() -> None:
    """Before 1.32, a 1.28 kubelet (four behind the target) is too old to stay; 1.29 may stay."""
    components = cluster("v1.31.4", kubelets={"node-2": "v1.29.1", "node-3": "v1.28.9"}, proxy="v1.31.4")
    assert [(c.kind, c.where) for c in too_old_for(v("v1.32"), components)] == [("kubelet", "node-3")]


def test_a_minor_target_is_reached_by_any_of_its_patches() -> None:
    """v1.32.0 counts as upgraded for a v1.32 target but not for v1.32.2."""
    assert not v("v1.32.0").is_older_than(v("v1.32"))
    assert v("v1.32.0").is_older_than(v("v1.32.2"))
    assert v("v1.31.9").is_older_than(v("v1.32"))
