"""Which command takes a finished operation back, so chat surfaces can offer it as one click.

Pure, in two steps. When a job is submitted, :func:`undo_offer` works out from the command alone the
command that would undo it, as data (:class:`~shared.invocation.Invocation`), with what the job's
result must say for it to apply; the offer travels with the job (its request). When the job
succeeds, :func:`offered` checks the offer against the result and gives the undo, or None when there
is nothing to undo (a dry run, a change that changed nothing, an operation with no inverse). Nothing
is parsed back: :func:`command_text` only writes the undo as words for people to read.

============================  ===============================================
operation                     undo
============================  ===============================================
``cordon NODE``               ``uncordon NODE`` (only if it was not cordoned)
``drain NODE``                ``uncordon NODE`` (also gives the drain slot back)
``maintain NODE``             ``unmaintain NODE``
``scale DEPLOY N``            ``scale DEPLOY PREVIOUS`` (the count the job saw)
``image DEPLOY IMAGE``        ``rollback DEPLOY`` (not while the rollout is paused)
``rollback [KIND/]NAME``      ``rollback [KIND/]NAME`` (back to the revision it left)
``pause DEPLOY``              ``resume DEPLOY``
============================  ===============================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from shared import commands as c
from shared.invocation import Invocation, UnknownCommand, invocation_of, maybe_invocation

UNDO_DETAIL = "undo_offered"
"""The detail of a job's final event holding the undo it offers (an invocation; workers add it)."""


Undo = c.Uncordon | c.Unmaintain | c.Scale | c.Rollback | c.Resume
"""The commands an undo can be."""


@dataclasses.dataclass(frozen=True)
class UndoOffer:
    """The undo of a command, known when its job is submitted, and what its result must say to apply."""

    command: Invocation
    """The undo, as data; arguments named in :attr:`from_plan` are filled in from the result."""
    requires: Mapping[str, Any]
    """Result keys and the value each must hold (``{"changed": True}``)."""
    refuses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Result keys whose value withdraws the offer (``{"rollout": "paused"}``)."""
    from_plan: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Arguments taken from the result's plan: argument name to plan key (``{"replicas": "current"}``)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form carried in the job's request."""
        return {
            "command": self.command.to_json(),
            "requires": dict(self.requires),
            "refuses": dict(self.refuses),
            "from_plan": dict(self.from_plan),
        }

    @classmethod
    def from_json(cls, data: object) -> UndoOffer | None:
        """The offer written by :meth:`to_json`, or None when ``data`` is none."""
        if not isinstance(data, Mapping):
            return None
        command = maybe_invocation(data.get("command"))
        if command is None:
            return None
        return cls(
            command=command,
            requires=dict(data.get("requires") or {}),
            refuses=dict(data.get("refuses") or {}),
            from_plan={str(k): str(v) for k, v in (data.get("from_plan") or {}).items()},
        )


_CHANGED = {"changed": True}


def undo_offer(command: c.Command) -> UndoOffer | None:
    """The undo ``command`` would offer once done, worked out before it runs; None if it has none."""
    if command.dry_run:
        return None
    cluster = command.cluster
    if isinstance(command, c.Cordon):
        return UndoOffer(invocation_of(c.Uncordon(node=command.node, cluster=cluster)), _CHANGED)
    if isinstance(command, c.Drain):
        return UndoOffer(invocation_of(c.Uncordon(node=command.node, cluster=cluster)), {"drained": True})
    if isinstance(command, c.Maintain):
        undo = c.Unmaintain(node=command.node, cluster=cluster)
        return UndoOffer(invocation_of(undo), {"maintenance": "started"})
    if not isinstance(command, c.DeploymentCommand):
        return None
    name, namespace = command.deployment, command.namespace
    if isinstance(command, c.Scale):
        scale = c.Scale(deployment=name, namespace=namespace, cluster=cluster, replicas=command.replicas)
        return UndoOffer(invocation_of(scale), _CHANGED, from_plan={"replicas": "current"})
    if isinstance(command, c.Rollback):
        again = c.Rollback(deployment=name, kind=command.kind, namespace=namespace, cluster=cluster)
        return UndoOffer(invocation_of(again), _CHANGED)
    if isinstance(command, c.Image):
        rollback = invocation_of(c.Rollback(deployment=name, namespace=namespace, cluster=cluster))
        return UndoOffer(rollback, _CHANGED, refuses={"rollout": "paused"})
    if isinstance(command, c.Pause):
        resume = c.Resume(deployment=name, namespace=namespace, cluster=cluster)
        return UndoOffer(invocation_of(resume), _CHANGED)
    return None


def offered(offer: UndoOffer, *, result: Mapping[str, Any]) -> Invocation | None:
    """The undo ``offer`` gives once its job reported ``result``; None when the result rules it out."""
    if result.get("dry_run"):
        return None
    if not all(_holds(result.get(key), value) for key, value in offer.requires.items()):
        return None
    if any(_holds(result.get(key), value) for key, value in offer.refuses.items()):
        return None
    arguments = dict(offer.command.arguments)
    plan = result.get("plan")
    for argument, key in offer.from_plan.items():
        value = plan.get(key) if isinstance(plan, Mapping) else None
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        arguments[argument] = value
    return dataclasses.replace(offer.command, arguments=arguments)


def undo_of(command: c.Command, *, result: Mapping[str, Any]) -> Undo | None:
    """The command that undoes ``command``, given the result its job reported; None if there is none."""
    offer = undo_offer(command)
    undo = offered(offer, result=result) if offer is not None else None
    return undo_command(undo) if undo is not None else None


def undo_command(undo: Invocation) -> Undo | None:
    """The undo command ``undo`` stands for; None when it is not one an undo can be."""
    try:
        command = undo.command()
    except UnknownCommand:
        return None
    return command if isinstance(command, Undo) else None


def command_text(command: Undo) -> str:
    """``command`` as chat text that :func:`~shared.grammar.parse` reads back to the same command."""
    if isinstance(command, c.NodeCommand):
        words = [command.name, command.node]
    else:
        words = [command.name, command.deployment]
        if isinstance(command, c.Rollback) and command.kind is not c.WorkloadKind.DEPLOYMENT:
            words[1] = command.resource
        if isinstance(command, c.Scale):
            words.append(str(command.replicas))
        if isinstance(command, c.Rollback) and command.to_revision is not None:
            words += ["--to-revision", str(command.to_revision)]
        if command.namespace is not None:
            words += ["-n", command.namespace]
    if command.cluster is not None:
        words += ["--cluster", command.cluster]
    return " ".join(words)


def _holds(actual: object, expected: object) -> bool:
    """``actual`` is ``expected``, type included (``1`` is not ``True``)."""
    return type(actual) is type(expected) and actual == expected
