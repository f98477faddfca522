"""NetworkPolicy evaluation as the Kubernetes specification defines it, to ask of rendered manifests
"may this pod open a connection to that one on this port?".

Semantics (``networking.k8s.io/v1``): a pod is isolated for a direction when any policy of its namespace
selects it with that direction in ``policyTypes``; an isolated pod allows a connection when some rule of
some policy selecting it admits the peer and the port (rules add up, nothing denies). A connection
needs both ends' consent: the source's egress and the destination's ingress. Peers: ``podSelector``
alone means pods of the policy's namespace, ``namespaceSelector`` alone any pod of the matching
namespaces, both together pods matching both, ``ipBlock`` an address in ``cidr`` outside ``except``.
Empty ``from``/``to`` or ``ports`` means any. A named port is looked up on the destination pod.
Only the rendered policies exist: namespaces outside deploy/ are taken to have none.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from tests.deploy.manifests import Obj, find

NAMESPACE_NAME = "kubernetes.io/metadata.name"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One end of a connection: a pod (with its labels, namespace and named ports) or an address."""

    ip: str
    namespace: str | None = None
    """``None`` for an address outside the cluster's pods."""
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    named_ports: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @property
    def namespace_labels(self) -> Mapping[str, str]:
        """The label every namespace carries with its name."""
        return {NAMESPACE_NAME: self.namespace} if self.namespace else {}


def pod_of(objects: Sequence[Obj], kind: str, name: str, *, ip: str) -> Endpoint:
    """A pod of a rendered Deployment or StatefulSet."""
    workload = find(objects, kind, name)
    template = workload["spec"]["template"]
    ports = {
        port["name"]: port["containerPort"]
        for container in template["spec"]["containers"]
        for port in container.get("ports") or []
        if "name" in port
    }
    return Endpoint(
        ip=ip,
        namespace=workload["metadata"]["namespace"],
        labels=template["metadata"]["labels"],
        named_ports=ports,
    )


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects these labels; {} selects all."""
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _peer_matches(peer: Mapping[str, Any], endpoint: Endpoint, *, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(endpoint.ip)
        block = peer["ipBlock"]
        inside = address in ipaddress.ip_network(block["cidr"])
        return inside and not any(address in ipaddress.ip_network(e) for e in block.get("except") or [])
    if endpoint.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], endpoint.namespace_labels):
            return False
    elif endpoint.namespace != policy_namespace:
        return False
    return matches(peer.get("podSelector"), endpoint.labels)


def _port_matches(
    entries: Sequence[Mapping[str, Any]], destination: Endpoint, port: int, protocol: str
) -> bool:
    if not entries:
        return True
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            wanted = destination.named_ports.get(wanted)
            if wanted is None:
                continue
        if wanted <= port <= int(entry.get("endPort", wanted)):
            return True
    return False


def _admits(
    policies: Sequence[Obj],
    selected: Endpoint,
    peer: Endpoint,
    *,
    direction: str,
    destination: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    """Whether the policies selecting ``selected`` let ``peer`` through in ``direction``."""
    if selected.namespace is None:
        return True
    relevant = [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == selected.namespace
        and direction in policy["spec"].get("policyTypes", ["Ingress"])
        and matches(policy["spec"]["podSelector"], selected.labels)
    ]
    if not relevant:
        return True
    side, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in relevant:
        for rule in policy["spec"].get(side) or []:
            peers = rule.get(peers_key) or []
            peer_ok = not peers or any(
                _peer_matches(p, peer, policy_namespace=policy["metadata"]["namespace"]) for p in peers
            )
            if peer_ok and _port_matches(rule.get("ports") or [], destination, port, protocol):
                return True
    return False


def allowed(
    objects: Sequence[Obj], source: Endpoint, destination: Endpoint, port: int | str, protocol: str = "TCP"
) -> bool:
    """Whether ``source`` may connect to ``destination`` on ``port`` (a number, or the destination's
    named port) under the NetworkPolicies among ``objects``."""
    number = destination.named_ports[port] if isinstance(port, str) else port
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    egress = _admits(
        policies,
        source,
        destination,
        direction="Egress",
        destination=destination,
        port=number,
        protocol=protocol,
    )
    ingress = _admits(
        policies,
        destination,
        source,
        direction="Ingress",
        destination=destination,
        port=number,
        protocol=protocol,
    )
    return egress and ingress
