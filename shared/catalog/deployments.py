"""Deployments: ``rollback``, ``restart``, ``scale``, ``image``, ``strategy``, ``pause``, ``resume``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from shared import commands as c
from shared import permissions as p
from shared.command_spec import CommandSpec
from shared.messages import usage as messages
from shared.names import NameKind
from shared.parsing.arguments import Arguments, deployment_command
from shared.parsing.options import NAMESPACE, Option

AREA = "Deployments"
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
    deployment = arguments.deployment()
    raw = arguments.values.get(_TO_REVISION.key)
    revision = None
    if raw is not None:
        revision = arguments.integer("`--to-revision`", raw, minimum=0, maximum=MAX_REVISION)
    return c.Rollback(deployment=deployment, namespace=arguments.namespace(), to_revision=revision)


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


_Undo = Callable[[c.DeploymentCommand, Mapping[str, Any]], c.DeploymentCommand | None]


def _when_changed(undo: _Undo) -> Callable[[c.Command, Mapping[str, Any]], c.DeploymentCommand | None]:
    """An undo rule that applies only when the job reports that it changed the deployment."""

    def rule(command: c.Command, result: Mapping[str, Any]) -> c.DeploymentCommand | None:
        assert isinstance(command, c.DeploymentCommand)
        return undo(command, result) if result.get("changed") is True else None

    return rule


def _back(command: c.DeploymentCommand) -> c.Rollback:
    return c.Rollback(deployment=command.deployment, namespace=command.namespace, cluster=command.cluster)


def _scale_back(command: c.DeploymentCommand, result: Mapping[str, Any]) -> c.Scale | None:
    """Back to the replica count the scale job found before changing it (its plan's ``current``)."""
    plan = result.get("plan")
    previous = plan.get("current") if isinstance(plan, Mapping) else None
    if not isinstance(previous, int) or isinstance(previous, bool):
        return None
    return c.Scale(
        deployment=command.deployment, namespace=command.namespace, cluster=command.cluster, replicas=previous
    )


def _image_back(command: c.DeploymentCommand, result: Mapping[str, Any]) -> c.Rollback | None:
    """A rollback, unless the rollout is paused (the new image is not rolled out yet)."""
    return _back(command) if result.get("rollout") != "paused" else None


def _resume(command: c.DeploymentCommand, result: Mapping[str, Any]) -> c.Resume:
    return c.Resume(deployment=command.deployment, namespace=command.namespace, cluster=command.cluster)


SPECS = (
    CommandSpec(
        name="rollback",
        command=c.Rollback,
        build=_build_rollback,
        options=(NAMESPACE, _TO_REVISION),
        also_typed=("rollout undo",),
        usage="rollback DEPLOY [--to-revision N] [-n NAMESPACE]",
        summary="Roll a deployment back to the previous revision, or to --to-revision N.",
        example="rollback web --to-revision 3 -n shop",
        area=AREA,
        aliases=("rollout undo deployment/DEPLOY [--to-revision=N]",),
        loses="the running revision is replaced: its pods are deleted, with any local data they hold",
        undo=_when_changed(lambda command, result: _back(command)),
        describe_job=lambda *, deployment, **_: f"roll back deployment/{deployment}",
        permissions=p.DEPLOYMENT_WRITE,
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
        undo=_when_changed(_scale_back),
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
        undo=_when_changed(_image_back),
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
        undo=_when_changed(_resume),
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
