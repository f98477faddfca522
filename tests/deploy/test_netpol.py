"""The NetworkPolicy evaluator the network tests rely on agrees with the Kubernetes specification on the
cases that decide them (so a "not allowed" in test_network.py is never the evaluator's mistake)."""

from __future__ import annotations

from typing import Any

from tests.deploy.manifests import Obj
from tests.deploy.netpol import Endpoint, allowed

WEB = Endpoint("10.1.0.2", namespace="shop", labels={"app": "web"}, named_ports={"http": 8080})
DB = Endpoint("10.1.0.3", namespace="shop", labels={"app": "db"}, named_ports={"pg": 5432})
TOOL = Endpoint("10.1.0.4", namespace="tools", labels={"app": "web"})


def policy(spec: dict[str, Any], *, namespace: str = "shop") -> Obj:
    """A NetworkPolicy object with this spec."""
    return {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": namespace}, "spec": spec}


def test_a_pod_no_policy_selects_is_open_both_ways() -> None:
    """Isolation starts only when some policy selects the pod for that direction."""
    objects = [policy({"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"]})]
    assert allowed(objects, DB, WEB, "http")
    assert not allowed(objects, WEB, DB, "pg")


def test_a_pod_selector_alone_means_pods_of_the_policys_own_namespace() -> None:
    """The same labels in another namespace do not match."""
    objects = [
        policy({
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        })
    ]  # fmt: skip
    assert allowed(objects, WEB, DB, "pg")
    assert not allowed(objects, TOOL, DB, "pg")


def test_namespace_and_pod_selectors_in_one_peer_must_both_match_but_two_peers_are_either() -> None:
    """``- namespaceSelector + podSelector`` is AND; two list entries are OR."""
    both = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}},
        "podSelector": {"matchLabels": {"app": "db"}},
    }
    objects = [policy({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [both]}]})]
    assert not allowed(objects, TOOL, DB, "pg")
    either = [{"namespaceSelector": both["namespaceSelector"]}, {"podSelector": both["podSelector"]}]
    objects = [policy({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": either}]})]
    assert allowed(objects, TOOL, DB, "pg")


def test_an_ip_block_excludes_its_exceptions_and_ports_resolve_by_name_on_the_destination() -> None:
    """``except`` carves out of ``cidr``; a named port is the destination pod's, with its protocol."""
    objects = [
        policy({
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]},
                {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": "pg"}]},
            ],
        })
    ]  # fmt: skip
    assert allowed(objects, WEB, Endpoint("52.1.2.3"), 443)
    assert not allowed(objects, WEB, Endpoint("10.9.9.9"), 443)
    assert not allowed(objects, WEB, Endpoint("52.1.2.3"), 443, "UDP")
    assert allowed(objects, WEB, DB, 5432)
    assert not allowed(objects, WEB, DB, 5433)
