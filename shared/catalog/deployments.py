"""Deployments: ``rollback``, ``restart``, ``scale``, ``image``, ``strategy``, ``pause``, ``resume``."""

from __future__ import annotations

import re

from shared import commands as c
from shared import permissions as p
from shared.command_spec import CommandSpec, UndoRule
from shared.messages import usage as messages
from shared.names import NameKind
from shared.parsing.arguments import Arguments, deployment_command
from shared.parsing.options import NAMESPACE, Option

AREA = "Deployments"
DEPLOYMENT = c.WorkloadKind.DEPLOYMENT.value
MAX_REPLICAS = 10_000
MAX_REVISION = 2**31 - 1

_TO_REVISION = Option("--to-revision", takes_value=True)
_REPLICAS = Option("--replicas", takes_value=True)
_MAX_SURGE = Option("--max-surge", takes_value=True)
_MAX_UNAVAILABLE = Option("--max-unavailable", takes_value=True)
_INT_OR_PERCENT = re.compile(r"([0-9]{1,9})(%?)")
_STRATEGY_TYPES = {
    "rolling": c.StrategyType.ROLLING_UPDATE,
    "rollingupdate": c.StrategyType.ROLLING_UPDATE,
    "rolling-update": c.StrategyType.ROLLING_UPDATE,
    "recreate": c.StrategyType.RECREATE,
}


def _build_rollback(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    kind, name = arguments.workload()
    raw = arguments.values.get(_TO_REVISION.key)
    revision = None
    if raw is not None:
        revision = arguments.integer("`--to-revision`", raw, minimum=0, maximum=MAX_REVISION)
    return c.Rollback(deployment=name, kind=kind, namespace=arguments.namespace(), to_revision=revision)


def _build_scale(arguments: Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    positional = arguments.optional(1)
    option = arguments.values.get(_REPLICAS.key)
    if positional is not None and option is not None:
        arguments.fail(messages.conflicting("REPLICAS", "`--replicas`"))
    raw = positional if positional is not None else option
    if raw is None:
        arguments.fail(arguments.missing("REPLICAS"))
    replicas = arguments.integer("REPLICAS", raw, minimum=0, maximum=MAX_REPLICAS)
    return c.Scale(deployment=deployment, namespace=arguments.namespace(), replicas=replicas)


def _build_image(arguments: Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    spec = arguments.required(1, "IMAGE")
    container: str | None = None
    if "=" in spec:
        container_name, _, spec = spec.partition("=")
        container = arguments.name(NameKind.CONTAINER, container_name)
    image = arguments.name(NameKind.IMAGE, spec)
    return c.Image(deployment=deployment, namespace=arguments.namespace(), container=container, image=image)


def _build_strategy(arguments: Arguments) -> c.Command:
    arguments.at_most(2)
    deployment = arguments.deployment()
    raw_type = arguments.required(1, "STRATEGY")
    strategy = _STRATEGY_TYPES.get(raw_type.lower())
    if strategy is None:
        arguments.fail(messages.invalid_choice("STRATEGY", raw_type, choices=("rolling", "recreate")))
    limits: dict[str, int | str | None] = {}
    for option in (_MAX_SURGE, _MAX_UNAVAILABLE):
        raw = arguments.values.get(option.key)
        if raw is not None and strategy is c.StrategyType.RECREATE:
            arguments.fail(messages.rolling_only_option(option.key))
        limits[option.key] = None if raw is None else _int_or_percent(arguments, option, raw)
    surge, unavailable = limits[_MAX_SURGE.key], limits[_MAX_UNAVAILABLE.key]
    if surge in (0, "0%") and unavailable in (0, "0%"):
        arguments.fail(messages.surge_and_unavailable_both_zero())
    return c.Strategy(
        deployment=deployment,
        namespace=arguments.namespace(),
        strategy=strategy,
        max_surge=surge,
        max_unavailable=unavailable,
    )


def _int_or_percent(arguments: Arguments, option: Option, value: str) -> int | str:
    match = _INT_OR_PERCENT.fullmatch(value)
    if match is None:
        arguments.fail(messages.invalid_int_or_percent(option.key, value))
    number = int(match.group(1))
    if not match.group(2):
        return number
    if option is _MAX_UNAVAILABLE and number > 100:
        arguments.fail(messages.percent_over_hundred(option.key))
    return f"{number}%"


_CHANGED = {"changed": True}
"""The deployment jobs report ``changed``; there is nothing to undo when they changed nothing."""


def _back(command: c.DeploymentCommand) -> c.Rollback:
    """A rollback of the deployment: back to the revision before the change."""
    return c.Rollback(deployment=command.deployment, namespace=command.namespace, cluster=command.cluster)


def _again(command: c.Rollback) -> c.Rollback:
    """A rollback of the same workload, of whatever kind: back to the revision the rollback left."""
    return c.Rollback(
        deployment=command.deployment, kind=command.kind, namespace=command.namespace, cluster=command.cluster
    )


def _scale_back(command: c.Scale) -> c.Scale:
    """A scale to the same count; the rule's ``from_plan`` puts in the count the job found (``current``)."""
    return c.Scale(
        deployment=command.deployment,
        namespace=command.namespace,
        cluster=command.cluster,
        replicas=command.replicas,
    )


def _resume(command: c.DeploymentCommand) -> c.Resume:
    return c.Resume(deployment=command.deployment, namespace=command.namespace, cluster=command.cluster)


SPECS = (
    CommandSpec(
        name="rollback",
        command=c.Rollback,
        build=_build_rollback,
        options=(NAMESPACE, _TO_REVISION),
        also_typed=("rollout undo",),
        usage="rollback DEPLOY|ds/NAME|sts/NAME [--to-revision N] [-n NAMESPACE]",
        summary="Roll a deployment, daemonset or statefulset back to the previous revision, or to --to-revision N.",
        example="rollback web --to-revision 3 -n shop",
        area=AREA,
        aliases=(
            "rollout undo deployment/DEPLOY [--to-revision=N]",
            "rollout undo daemonset/NAME",
            "rollout undo statefulset/NAME",
        ),
        loses="the running revision is replaced: its pods are deleted, with any local data they hold",
        undo=UndoRule(_again, requires=_CHANGED),
        describe_job=lambda *, deployment, kind=DEPLOYMENT, **_: f"roll back {kind}/{deployment}",
        permissions=p.DEPLOYMENT_WRITE,
        permissions_by_kind=p.workload_permissions("rollback"),
    ),
    CommandSpec(
        name="restart",
        command=c.Restart,
        build=deployment_command(c.Restart),
        options=(NAMESPACE,),
        also_typed=("rollout restart",),
        usage="restart DEPLOY [-n NAMESPACE]",
        summary="Restart every pod of a deployment, one batch at a time.",
        example="restart web -n shop",
        area=AREA,
        aliases=("rollout restart deployment/DEPLOY",),
        describe_job=lambda *, deployment, **_: f"restart deployment/{deployment}",
        permissions=p.DEPLOYMENT_WRITE,
    ),
    CommandSpec(
        name="scale",
        command=c.Scale,
        build=_build_scale,
        options=(NAMESPACE, _REPLICAS),
        usage="scale DEPLOY REPLICAS [-n NAMESPACE]",
        summary="Set a deployment's number of replicas (0 to 10000).",
        example="scale web 5 -n shop",
        area=AREA,
        aliases=("scale deployment/DEPLOY --replicas=N",),
        loses="when scaling down, the pods above the new replica count are deleted, with their local data",
        undo=UndoRule(_scale_back, requires=_CHANGED, from_plan={"replicas": "current"}),
        describe_job=lambda *, deployment, replicas, **_: f"scale deployment/{deployment} to {replicas}",
        permissions=p.DEPLOYMENT_SCALE,
    ),
    CommandSpec(
        name="image",
        command=c.Image,
        build=_build_image,
        options=(NAMESPACE,),
        also_typed=("set image",),
        usage="image DEPLOY [CONTAINER=]IMAGE [-n NAMESPACE]",
        summary="Change a container's image; the container can be left out if there is only one.",
        example="image web web=nginx:1.27 -n shop",
        area=AREA,
        aliases=("set image deployment/DEPLOY CONTAINER=IMAGE",),
        undo=UndoRule(_back, requires=_CHANGED, refuses={"rollout": "paused"}),
        describe_job=lambda *, deployment, image, **_: f"set the image of deployment/{deployment} to {image}",
        permissions=p.DEPLOYMENT_WRITE,
    ),
    CommandSpec(
        name="strategy",
        command=c.Strategy,
        build=_build_strategy,
        options=(NAMESPACE, _MAX_SURGE, _MAX_UNAVAILABLE),
        usage="strategy DEPLOY rolling|recreate [--max-surge N|N%] [--max-unavailable N|N%] [-n NAMESPACE]",
        summary="Set a deployment's update strategy and its surge and unavailability limits.",
        example="strategy web rolling --max-surge 25% --max-unavailable 0",
        area=AREA,
        describe_job=lambda *, deployment, strategy, **_: (
            f"set the strategy of deployment/{deployment} to {strategy}"
        ),
        permissions=p.DEPLOYMENT_WRITE,
    ),
    CommandSpec(
        name="pause",
        command=c.Pause,
        build=deployment_command(c.Pause),
        options=(NAMESPACE,),
        also_typed=("rollout pause",),
        usage="pause DEPLOY [-n NAMESPACE]",
        summary="Pause a deployment's rollout.",
        example="pause web -n shop",
        area=AREA,
        aliases=("rollout pause deployment/DEPLOY",),
        undo=UndoRule(_resume, requires=_CHANGED),
        describe_job=lambda *, deployment, **_: f"pause deployment/{deployment}",
        permissions=p.DEPLOYMENT_WRITE,
    ),
    CommandSpec(
        name="resume",
        command=c.Resume,
        build=deployment_command(c.Resume),
        options=(NAMESPACE,),
        also_typed=("rollout resume",),
        usage="resume DEPLOY [-n NAMESPACE]",
        summary="Resume a paused rollout.",
        example="resume web -n shop",
        area=AREA,
        aliases=("rollout resume deployment/DEPLOY",),
        describe_job=lambda *, deployment, **_: f"resume deployment/{deployment}",
        permissions=p.DEPLOYMENT_WRITE,
    ),
)
