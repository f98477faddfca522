"""The commands this bot knows: one :class:`~shared.command_spec.CommandSpec` per command.

Every table about commands is derived from :data:`REGISTRY`: the grammar (:func:`shared.grammar.parse`),
``help`` and docs/commands.md (:mod:`shared.reference`), policy validation and decisions
(:mod:`bot.core.policy_file`, :mod:`bot.core.policy`), which commands the engine answers itself and
which are lookups (:mod:`bot.core.conversation`), what approving loses (approval requests), the undo
offered on a finished job's card (:mod:`shared.undo`), a job's function path, timeout and the only
functions a worker runs (:mod:`shared.jobs`, :mod:`shared.job_signing`), the description of its start
event and the permissions checked as a person (:mod:`workers.runtime`, :mod:`workers.access`).

Adding a command
----------------

1. Its value: a frozen dataclass in the area's module of :mod:`shared.commands`, exported from the
   package (its ``name`` class variable is the command's name; its fields are what the job receives
   as keyword arguments; subclass ``NodeCommand`` or ``DeploymentCommand`` for a node or deployment).
2. Its entry: a ``CommandSpec(...)`` in the ``SPECS`` of the area's module in :mod:`shared.catalog`
   (``looking``, ``nodes``, ``deployments``, ``upgrades``, ``backups``, ``incidents``), beside its
   builder (``build=``, turning :class:`~shared.parsing.arguments.Arguments` into the value; the
   generic ``no_arguments``, ``node_command`` and ``deployment_command`` cover the simple shapes) and
   the options it takes. Say its ``usage``, ``summary``, ``example`` and ``area``; ``read_only``,
   ``loses`` and ``undo`` for what it does; ``describe_job``, ``permissions`` and ``timeout_seconds``
   for its job, or ``answered_by_engine=True`` when the engine answers it (then handle it in
   :class:`bot.core.conversation.Engine`). A new area goes into :data:`shared.messages.usage.AREAS`.
3. Its job: a function of that name in ``workers.jobs`` (or ``job_function=`` naming another dotted
   path), decorated with ``@job("its name")`` from :mod:`workers.runtime`, and listed in
   ``workers.jobs.__all__``.
4. Run ``python -m bot.docs`` to regenerate docs/commands.md, and test it
   (``tests/core/test_registry.py`` shows adding one to a registry of a test's own).

Nothing else changes: ``help``, the grammar, policy rules and the worker's admission pick it up here.
A registry of one's own is ``REGISTRY.with_commands(spec)``: :func:`~bot.core.policy_file.load_policy`
(``registry=``) checks rules against it and the policy carries it, so an engine built on that policy
parses, helps with and queues its commands; :func:`~shared.grammar.parse`, :func:`bot.docs.render_command_reference`
and :func:`~shared.jobs.job_spec` take it too.
"""

from __future__ import annotations

from shared.catalog import backups, deployments, incidents, looking, nodes, upgrades
from shared.command_spec import CommandSpec, Registry

REGISTRY = Registry(
    (*looking.SPECS, *nodes.SPECS, *deployments.SPECS, *upgrades.SPECS, *backups.SPECS, *incidents.SPECS)
)
"""Every command, in the order ``help`` lists them."""

__all__ = ["REGISTRY", "CommandSpec", "Registry"]
