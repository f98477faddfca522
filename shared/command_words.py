"""How a command is passed to its job and named in messages: its arguments and a few words."""

from __future__ import annotations

import dataclasses
from typing import Any

from shared import commands


def arguments_of(command: commands.Command) -> dict[str, Any]:
    """The job's keyword arguments: the command's own fields, without the routing ones."""
    fields = {field.name: getattr(command, field.name) for field in dataclasses.fields(command)}
    fields.pop("cluster", None)
    return fields


def describe(command: commands.Command) -> str:
    """A few words saying what the command does, for messages and job descriptions."""
    if isinstance(command, commands.NodeCommand):
        return f"{command.name} node/{command.node}"
    if isinstance(command, commands.RolloutCommand):
        return f"{command.name} {command.resource} in namespace {command.namespace}"
    if isinstance(command, commands.DeploymentCommand):
        return f"{command.name} deployment/{command.deployment} in namespace {command.namespace}"
    target = command.target
    return f"{command.name} {target}".strip()
