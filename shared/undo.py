"""Which command takes a finished operation back, so chat surfaces can offer it as one click.

Pure: :func:`undo_of` looks at the command that ran and the result its job reported, and gives the
command that undoes it, or None when there is nothing to undo (a dry run, a change that changed
nothing, an operation with no inverse). :func:`command_text` writes a command back as text the
grammar reads, so an undo runs exactly as if somebody had typed it, through policy and approvals.

============================  ===============================================
operation                     undo
============================  ===============================================
``cordon NODE``               ``uncordon NODE`` (only if it was not cordoned)
``drain NODE``                ``uncordon NODE`` (also gives the drain slot back)
``maintain NODE``             ``unmaintain NODE``
``scale DEPLOY N``            ``scale DEPLOY PREVIOUS`` (the count the job saw)
``image DEPLOY IMAGE``        ``rollback DEPLOY`` (not while the rollout is paused)
``rollback DEPLOY``           ``rollback DEPLOY`` (back to the revision it left)
``pause DEPLOY``              ``resume DEPLOY``
============================  ===============================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import commands as c
from shared.errors import UsageError
from shared.grammar import parse

REQUEST_TEXT_DETAIL = "request_text"
"""The detail of a job's final event holding the command as it was typed (workers add it)."""


Undo = c.Uncordon | c.Unmaintain | c.Scale | c.Rollback | c.Resume
"""The commands an undo can be."""


def undo_of(command: c.Command, *, result: Mapping[str, Any]) -> Undo | None:
    """The command that undoes ``command``, given the result its job reported; None if there is none."""
    if command.dry_run or result.get("dry_run"):
        return None
    cluster = command.cluster
    if isinstance(command, c.Cordon | c.Drain):
        done = result.get("changed") if isinstance(command, c.Cordon) else result.get("drained")
        return c.Uncordon(node=command.node, cluster=cluster) if done is True else None
    if isinstance(command, c.Maintain):
        started = result.get("maintenance") == "started"
        return c.Unmaintain(node=command.node, cluster=cluster) if started else None
    if not isinstance(command, c.DeploymentCommand) or result.get("changed") is not True:
        return None
    name, namespace = command.deployment, command.namespace
    if isinstance(command, c.Scale):
        previous = _previous_replicas(result)
        if previous is None:
            return None
        return c.Scale(deployment=name, namespace=namespace, cluster=cluster, replicas=previous)
    if isinstance(command, c.Rollback) or (
        isinstance(command, c.Image) and result.get("rollout") != "paused"
    ):
        return c.Rollback(deployment=name, namespace=namespace, cluster=cluster)
    if isinstance(command, c.Pause):
        return c.Resume(deployment=name, namespace=namespace, cluster=cluster)
    return None


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


def _previous_replicas(result: Mapping[str, Any]) -> int | None:
    """The replica count the scale job found before changing it (its plan's ``current``)."""
    plan = result.get("plan")
    previous = plan.get("current") if isinstance(plan, Mapping) else None
    return previous if isinstance(previous, int) and not isinstance(previous, bool) else None
