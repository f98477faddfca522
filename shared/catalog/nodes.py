"""Nodes: ``cordon``, ``uncordon``, ``drain``, ``maintain``, ``unmaintain``."""

from __future__ import annotations

from shared import commands as c
from shared import permissions as p
from shared.command_spec import CommandSpec, UndoRule
from shared.messages import usage as messages
from shared.parsing.arguments import Arguments, is_integer, node_command
from shared.parsing.options import Option

AREA = "Nodes"
MAX_GRACE_PERIOD = 86_400

FORCE = Option("--force", takes_value=False)
DELETE_EMPTYDIR_DATA = Option("--delete-emptydir-data", takes_value=False, spellings=("--delete-local-data",))
_IGNORE_DAEMONSETS = Option("--ignore-daemonsets", takes_value=False)
_GRACE_PERIOD = Option("--grace-period", takes_value=True)
_TIMEOUT = Option("--timeout", takes_value=True)


def _build_drain(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    node = arguments.node()
    grace_period: int | None = None
    raw_grace = arguments.values.get(_GRACE_PERIOD.key)
    if raw_grace is not None:
        if not is_integer(raw_grace) or not 0 <= int(raw_grace) <= MAX_GRACE_PERIOD:
            arguments.fail(messages.invalid_grace_period(raw_grace, maximum=MAX_GRACE_PERIOD))
        grace_period = int(raw_grace)
    raw_timeout = arguments.values.get(_TIMEOUT.key)
    timeout = None if raw_timeout is None else arguments.duration(_TIMEOUT.key, raw_timeout)
    return c.Drain(
        node=node,
        force=arguments.switch(FORCE),
        delete_emptydir_data=arguments.switch(DELETE_EMPTYDIR_DATA),
        grace_period=grace_period,
        timeout=timeout,
    )


def _uncordon(command: c.NodeCommand) -> c.Uncordon:
    return c.Uncordon(node=command.node, cluster=command.cluster)


def _unmaintain(command: c.NodeCommand) -> c.Unmaintain:
    return c.Unmaintain(node=command.node, cluster=command.cluster)


SPECS = (
    CommandSpec(
        name="cordon",
        command=c.Cordon,
        build=node_command(c.Cordon),
        usage="cordon NODE",
        summary="Stop new pods from being scheduled on a node.",
        example="cordon node-1",
        area=AREA,
        undo=UndoRule(_uncordon, requires={"changed": True}),
        describe_job=lambda *, node, **_: f"cordon node/{node}",
        permissions=p.NODE_WRITE,
    ),
    CommandSpec(
        name="uncordon",
        command=c.Uncordon,
        build=node_command(c.Uncordon),
        usage="uncordon NODE",
        summary="Let pods be scheduled on a node again.",
        example="uncordon node-1",
        area=AREA,
        describe_job=lambda *, node, **_: f"uncordon node/{node}",
        permissions=p.NODE_WRITE,
    ),
    CommandSpec(
        name="drain",
        command=c.Drain,
        build=_build_drain,
        options=(FORCE, DELETE_EMPTYDIR_DATA, _IGNORE_DAEMONSETS, _GRACE_PERIOD, _TIMEOUT),
        usage="drain NODE [--force] [--delete-emptydir-data] [--grace-period SECONDS] [--timeout DURATION]",
        summary="Cordon a node and evict its pods (DaemonSet pods stay).",
        example="drain node-1 --delete-emptydir-data --timeout 10m",
        area=AREA,
        aliases=("drain NODE --ignore-daemonsets --delete-local-data",),
        loses=(
            "the node's pods are evicted: data in their emptyDir volumes is lost, "
            "and pods no controller manages are not recreated"
        ),
        undo=UndoRule(_uncordon, requires={"drained": True}),
        describe_job=lambda *, node, **_: f"drain node/{node}",
        permissions=p.DRAIN,
    ),
    CommandSpec(
        name="maintain",
        command=c.Maintain,
        build=node_command(c.Maintain),
        usage="maintain NODE",
        summary="Put a node into maintenance: cordon and drain it, and note it on the timeline.",
        example="maintain node-1",
        area=AREA,
        loses="the node is cordoned and drained: its pods are evicted and their emptyDir data is lost",
        undo=UndoRule(_unmaintain, requires={"maintenance": "started"}),
        describe_job=lambda *, node, **_: f"put node/{node} in maintenance",
        permissions=p.DRAIN,
    ),
    CommandSpec(
        name="unmaintain",
        command=c.Unmaintain,
        build=node_command(c.Unmaintain),
        usage="unmaintain NODE",
        summary="Take a node out of maintenance: uncordon it.",
        example="unmaintain node-1",
        area=AREA,
        describe_job=lambda *, node, **_: f"end maintenance of node/{node}",
        permissions=p.NODE_WRITE,
    ),
)
