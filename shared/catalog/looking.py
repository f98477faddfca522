"""Looking: ``help``, ``nodes``, ``status``, ``history``, ``jobs``; nothing here changes the cluster."""

from __future__ import annotations

import difflib

from shared import commands as c
from shared import permissions as p
from shared.command_spec import CommandSpec
from shared.messages import usage as messages
from shared.parsing.arguments import Arguments, no_arguments, rollout_command
from shared.parsing.options import NAMESPACE

AREA = "Looking"
DEPLOYMENT = c.WorkloadKind.DEPLOYMENT.value
"""The ``kind`` a job of ``status`` or ``history`` gets for a Deployment (the default)."""


def _build_help(arguments: Arguments) -> c.Command:
    words = [word.value.lower() for word in arguments.positionals]
    if words[:1] == ["kubectl"]:
        words = words[1:]
    if not words:
        return c.Help()
    topic = arguments.topics.topic(tuple(words))
    if topic is not None:
        return c.Help(topic=topic)
    joined = " ".join(words)
    suggestions = difflib.get_close_matches(joined, arguments.topics.topics(), n=2)
    raise arguments.error(messages.unknown_help_topic(joined, suggestions=suggestions))


SPECS = (
    CommandSpec(
        name="help",
        command=c.Help,
        build=_build_help,
        usage="help [COMMAND]",
        summary="List the commands, or explain one.",
        example="help drain",
        area=AREA,
        read_only=True,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="nodes",
        command=c.Nodes,
        build=no_arguments(c.Nodes),
        also_typed=("get nodes", "get node", "get no"),
        usage="nodes",
        summary="List nodes with their status, schedulability and version.",
        example="nodes",
        area=AREA,
        aliases=("get nodes",),
        read_only=True,
        describe_job=lambda **_: "summarise the nodes",
        permissions=p.NODE_LIST,
    ),
    CommandSpec(
        name="status",
        command=c.Status,
        build=rollout_command(c.Status),
        options=(NAMESPACE,),
        also_typed=("rollout status",),
        usage="status DEPLOY|ds/NAME|sts/NAME [-n NAMESPACE]",
        summary="Show a deployment's (daemonset's, statefulset's) rollout status.",
        example="status web -n shop",
        area=AREA,
        aliases=("rollout status deployment/DEPLOY", "rollout status daemonset/NAME"),
        read_only=True,
        describe_job=lambda *, deployment, kind=DEPLOYMENT, **_: (
            f"show the rollout status of {kind}/{deployment}"
        ),
        permissions=p.DEPLOYMENT_STATUS,
        permissions_by_kind=p.workload_permissions("status"),
    ),
    CommandSpec(
        name="history",
        command=c.History,
        build=rollout_command(c.History),
        options=(NAMESPACE,),
        also_typed=("rollout history",),
        usage="history DEPLOY|ds/NAME|sts/NAME [-n NAMESPACE]",
        summary="Show a deployment's (daemonset's, statefulset's) revisions.",
        example="history web -n shop",
        area=AREA,
        aliases=("rollout history deployment/DEPLOY", "rollout history statefulset/NAME"),
        read_only=True,
        describe_job=lambda *, deployment, kind=DEPLOYMENT, **_: f"show the history of {kind}/{deployment}",
        permissions=p.DEPLOYMENT_READ,
        permissions_by_kind=p.workload_permissions("history"),
    ),
    CommandSpec(
        name="jobs",
        command=c.Jobs,
        build=no_arguments(c.Jobs),
        usage="jobs",
        summary="List running and recent jobs.",
        example="jobs",
        area=AREA,
        read_only=True,
        answered_by_engine=True,
    ),
)
