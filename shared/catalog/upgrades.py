"""Upgrades: ``upgrade plan``, ``upgrade control-plane``, ``upgrade nodes``."""

from __future__ import annotations

from shared import commands as c
from shared import permissions as p
from shared.catalog.nodes import DELETE_EMPTYDIR_DATA, FORCE
from shared.command_spec import CommandSpec
from shared.messages import usage as messages
from shared.names import NameKind
from shared.parsing.arguments import Arguments
from shared.parsing.options import Option

AREA = "Upgrades"

_NODE_STRATEGY = Option("--strategy", takes_value=True)
_NODES = Option("--nodes", takes_value=True)
_NODE_STRATEGIES = {strategy.value: strategy.value for strategy in c.NodeUpgradeStrategy}

_UPGRADE_READ = (p.Permission("list", "nodes"), p.Permission("list", "pods"))


def _build_upgrade_plan(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    return c.UpgradePlan(version=None if raw is None else arguments.version(raw))


def _build_upgrade_control_plane(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    return c.UpgradeControlPlane(version=arguments.version(arguments.required(0, "VERSION")))


def _build_upgrade_nodes(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    version = arguments.version(arguments.required(0, "VERSION"))
    strategy = c.NodeUpgradeStrategy.ONE_AT_A_TIME
    raw_strategy = arguments.values.get(_NODE_STRATEGY.key)
    if raw_strategy is not None:
        strategy = c.NodeUpgradeStrategy(arguments.choice("`--strategy`", raw_strategy, _NODE_STRATEGIES))
    nodes: list[str] = []
    raw_nodes = arguments.values.get(_NODES.key)
    if raw_nodes is not None:
        for entry in raw_nodes.split(","):
            if not entry:
                arguments.fail(messages.empty_node_list())
            node = arguments.resource(NameKind.NODE, entry)
            if node not in nodes:
                nodes.append(node)
    return c.UpgradeNodes(
        version=version,
        strategy=strategy,
        nodes=tuple(nodes),
        force=arguments.switch(FORCE),
        delete_emptydir_data=arguments.switch(DELETE_EMPTYDIR_DATA),
    )


SPECS = (
    CommandSpec(
        name="upgrade plan",
        command=c.UpgradePlan,
        build=_build_upgrade_plan,
        usage="upgrade plan [VERSION]",
        summary="Show what upgrading the cluster to a version would do; changes nothing.",
        example="upgrade plan v1.32.1",
        area=AREA,
        read_only=True,
        describe_job=lambda *, version=None, **_: f"plan an upgrade to {version or 'the next minor version'}",
        permissions=(*_UPGRADE_READ, p.Permission("get", "daemonsets", group="apps")),
    ),
    CommandSpec(
        name="upgrade control-plane",
        command=c.UpgradeControlPlane,
        build=_build_upgrade_control_plane,
        usage="upgrade control-plane VERSION",
        summary="Upgrade the control plane to a version.",
        example="upgrade control-plane v1.32.1",
        area=AREA,
        loses=(
            "the control plane's components are replaced one by one; "
            "requests to the API server may fail while each restarts"
        ),
        describe_job=lambda *, version, **_: f"upgrade the control plane to {version}",
        timeout_seconds=2 * 3600,
        permissions=(
            *_UPGRADE_READ,
            p.Permission("get", "daemonsets", group="apps"),
            p.Permission("patch", "daemonsets", group="apps"),
        ),
    ),
    CommandSpec(
        name="upgrade nodes",
        command=c.UpgradeNodes,
        build=_build_upgrade_nodes,
        options=(_NODE_STRATEGY, _NODES, FORCE, DELETE_EMPTYDIR_DATA),
        usage=(
            "upgrade nodes VERSION [--strategy one-at-a-time|all-at-once|surge] [--nodes NODE,NODE] "
            "[--force] [--delete-emptydir-data]"
        ),
        summary="Upgrade nodes to a version, one at a time, all at once or with a surge node.",
        example="upgrade nodes v1.32.1 --strategy one-at-a-time",
        area=AREA,
        loses="every node is drained in turn: its pods are evicted, and data in their emptyDir volumes is lost",
        describe_job=lambda *, version, strategy="one-at-a-time", **_: (
            f"upgrade the nodes to {version} ({strategy})"
        ),
        timeout_seconds=12 * 3600,
        permissions=p.DRAIN,
    ),
)
"""A walk over the whole cluster takes longer than the default timeout (each node's hook alone may take
it); a worker stopped mid-way (deploy, SIGTERM) leaves checkpoints, and the same command resumes."""
