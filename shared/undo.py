"""Which command takes a finished operation back, so chat surfaces can offer it as one click.

Pure: :func:`undo_of` looks at the command that ran and the result its job reported, and gives the
command that undoes it, or None when there is nothing to undo (a dry run, a change that changed
nothing, an operation with no inverse). :func:`command_text` writes a command back as text the
grammar reads, so an undo runs exactly as if somebody had typed it, through policy and approvals.

Each command's entry in the registry holds its undo rule (:attr:`~shared.command_spec.CommandSpec.undo`):
``cordon`` and ``drain`` are undone by ``uncordon`` (only when they changed something), ``maintain`` by
``unmaintain``, ``scale`` by scaling back to the count the job saw, ``image`` (not while the rollout is
paused) and ``rollback`` by ``rollback``, and ``pause`` by ``resume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import commands as c
from shared.errors import UsageError
from shared.grammar import parse
from shared.registry import REGISTRY

REQUEST_TEXT_DETAIL = "request_text"
"""The detail of a job's final event holding the command as it was typed (workers add it)."""


Undo = c.NodeCommand | c.DeploymentCommand
"""The commands an undo can be: one about a node or a deployment, written back by :func:`command_text`."""


def undo_of(command: c.Command, *, result: Mapping[str, Any]) -> Undo | None:
    """The command that undoes ``command``, given the result its job reported; None if there is none."""
    if command.dry_run or result.get("dry_run"):
        return None
    spec = REGISTRY.get(command.name)
    return None if spec is None or spec.undo is None else spec.undo(command, result)


def undo_text(request_text: str, *, result: Mapping[str, Any]) -> str | None:
    """The text of the command undoing the one typed as ``request_text``; None when there is none."""
    try:
        command = parse(request_text)
    except UsageError:
        return None
    undo = undo_of(command, result=result)
    return None if undo is None else command_text(undo)


def command_text(command: Undo) -> str:
    """``command`` as chat text that :func:`~shared.grammar.parse` reads back to the same command."""
    if isinstance(command, c.NodeCommand):
        words = [command.name, command.node]
    else:
        words = [command.name, command.deployment]
        if isinstance(command, c.Scale):
            words.append(str(command.replicas))
        if isinstance(command, c.Rollback) and command.to_revision is not None:
            words += ["--to-revision", str(command.to_revision)]
        if command.namespace is not None:
            words += ["-n", command.namespace]
    if command.cluster is not None:
        words += ["--cluster", command.cluster]
    return " ".join(words)
