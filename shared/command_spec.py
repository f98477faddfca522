"""One command, declared once: :class:`CommandSpec`; and the set of them the bot knows: :class:`Registry`.

A spec holds everything any part of the product needs to know about one command, in the spirit of
click's ``@command(help=...)`` and kopf's handler registries: the grammar reads its words and
options, ``help`` and docs/commands.md show its usage, summary, example and kubectl spellings, the
policy validates rules against its name, approvals say what it loses, the job cards offer its undo,
and the dispatcher and the workers take its job function, description, timeout and permissions from
it. :mod:`shared.registry` assembles the product's registry; how to add a command is written there.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from shared import commands as c
from shared.messages.usage import AREAS
from shared.parsing.arguments import Builder
from shared.parsing.options import Option
from shared.permissions import Permission

JOBS_MODULE = "workers.jobs"
"""Where job functions live by default: a command ``upgrade plan`` runs ``workers.jobs.upgrade_plan``."""

DEFAULT_TIMEOUT_SECONDS = 1800
"""How long a job may run before the worker stops it (drains of big nodes take minutes)."""


@dataclasses.dataclass(frozen=True)
class UndoRule:
    """How a command's run is taken back, known before its job runs (:func:`shared.undo.undo_offer`).

    ``undo(command)`` is the command undoing ``command``; it is offered once the job's result holds
    every value of ``requires`` (``{"changed": True}``) and none of ``refuses``
    (``{"rollout": "paused"}``), with the arguments named in ``from_plan`` taken from the result's plan
    (``{"replicas": "current"}``: the count the job found).
    """

    undo: Callable[[Any], c.NodeCommand | c.DeploymentCommand]
    requires: Mapping[str, Any]
    refuses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    from_plan: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommandSpec:
    """Everything about one command, in one place."""

    # What it is and how it is written.
    name: str
    """The policy name, as typed: one word or two (``"upgrade plan"``); rules and ``help`` use it."""
    command: type[c.Command]
    """The frozen value :func:`shared.grammar.parse` makes of it."""
    build: Builder
    """Turns the collected arguments into ``command``, or raises a usage error."""
    options: tuple[Option, ...] = ()
    """The options it takes besides ``--cluster`` and ``--dry-run`` (which every command takes)."""
    text: str | None = None
    """For free-text commands, the placeholder of the text (``TEXT``, ``TITLE``, ``REASON``)."""
    text_required: bool = True
    also_typed: tuple[str, ...] = ()
    """Other words that name it, kubectl's (``rollout undo`` for ``rollback``)."""
    placeholders: tuple[tuple[str, str], ...] = ()
    """What its own UPPERCASE placeholders mean, for usage errors (``("WINDOW", "how long, like 2h")``);
    the common ones (``NODE``, ``DEPLOY``, ``VERSION``…) are explained already."""

    # How help and docs/commands.md show it.
    usage: str
    """How to write it, with UPPERCASE placeholders and ``[optional]`` parts, never angle brackets."""
    summary: str
    """What it does, in one sentence."""
    example: str
    """A complete, runnable example with realistic values; tests parse it to this command."""
    area: str
    """Where ``help`` lists it, one of :data:`shared.messages.usage.AREAS`."""
    aliases: tuple[str, ...] = ()
    """The kubectl-style spellings ``help`` shows as also accepted."""

    # What it does to the cluster.
    read_only: bool = False
    """It changes nothing in the cluster (``backup restore`` only previews a restore)."""
    loses: str | None = None
    """What approving it destroys for good, said in its approval request; destructive when set."""
    undo: UndoRule | None = None
    """The command offered as one click to take a finished run back, if there is one."""

    # Who decides it.
    governed: bool = True
    """Policy rules name it; False for ``approve``/``deny``, decided by the request they answer, and for
    ``freeze``/``unfreeze`` (see :attr:`by_freezers`)."""
    by_freezers: bool = False
    """Who may run it is the policy's ``freezes.by``, not its rules (``freeze``, ``unfreeze``)."""
    explicit_only: bool = False
    """A rule must name it: ``"*"`` in a rule's ``commands`` does not grant it (``backup secrets``)."""

    # Who carries it out.
    answered_by_engine: bool = False
    """The conversation engine answers it from Redis; no job runs on a worker."""
    job_function: str = ""
    """The dotted path of its job function; empty: ``workers.jobs.`` and the name in snake case."""
    describe_job: Callable[..., str] | None = None
    """``describe_job(**job_kwargs)``: a few words saying what the job does, for its start event."""
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    """How long its job may run before the worker stops it."""
    permissions: tuple[Permission, ...] | None = None
    """The API calls its job makes, checked as the person when the job acts as one; None: it cannot
    act as a person (the etcd jobs reach etcd with the worker's certificates), so it is refused there."""
    permissions_by_kind: tuple[tuple[str, tuple[Permission, ...]], ...] = ()
    """For a rollout command, the calls its job makes on a workload of another kind than a Deployment,
    by the job's ``kind`` argument (``"daemonset"``, ``"statefulset"``); see :meth:`permissions_for`."""

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip().lower() or len(self.name.split()) > 2:
            raise ValueError(f"a command name is one or two lowercase words, not {self.name!r}")
        if self.area not in AREAS:
            raise ValueError(f"{self.name}: area {self.area!r} is not one of {AREAS}")
        if not self.answered_by_engine and self.describe_job is None:
            raise ValueError(f"{self.name}: a command run by a job needs describe_job")

    def permissions_for(self, job_kwargs: Mapping[str, Any]) -> tuple[Permission, ...] | None:
        """The calls the job given ``job_kwargs`` makes: those of its workload's ``kind`` if it names
        one of :attr:`permissions_by_kind`, else :attr:`permissions`."""
        kind = job_kwargs.get("kind")
        return (
            dict(self.permissions_by_kind).get(kind, self.permissions)
            if isinstance(kind, str)
            else self.permissions
        )

    @property
    def function(self) -> str | None:
        """The dotted path the bot enqueues, or None when the engine answers the command itself."""
        if self.answered_by_engine:
            return None
        return self.job_function or f"{JOBS_MODULE}.{self.function_name}"

    @property
    def function_name(self) -> str:
        """The job function's own name: ``upgrade_control_plane``."""
        if self.job_function:
            return self.job_function.rpartition(".")[2]
        return self.name.replace(" ", "_").replace("-", "_")

    @property
    def lookup(self) -> bool:
        """A read-only command a worker answers: the person sees one message, the answer."""
        return self.read_only and not self.answered_by_engine

    @property
    def destructive(self) -> bool:
        """Approving it destroys something for good (so its Approve button asks to confirm)."""
        return self.loses is not None


@dataclasses.dataclass(frozen=True)
class Registry:
    """The commands one bot knows, in the order ``help`` lists them; built once, never changed.

    Everything the grammar, the policy and ``help`` need is derived from the specs, here.
    """

    specs: tuple[CommandSpec, ...]

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"commands declared twice: {duplicates}")
        heads = [head for spec in self.specs for head in (spec.name, *spec.also_typed)]
        taken = sorted({head for head in heads if heads.count(head) > 1})
        if taken:
            raise ValueError(f"words naming two commands: {taken}")

    def with_commands(self, *specs: CommandSpec) -> Registry:
        """This registry with ``specs`` added at the end (a test's own commands, a feature's)."""
        return Registry((*self.specs, *specs))

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> CommandSpec:
        return self._by_name[name]

    def get(self, name: str) -> CommandSpec | None:
        """The spec of ``name``, or None."""
        return self._by_name.get(name)

    @functools.cached_property
    def _by_name(self) -> dict[str, CommandSpec]:
        return {spec.name: spec for spec in self.specs}

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """Every command name, in ``help`` order."""
        return tuple(spec.name for spec in self.specs)

    def names_where(self, test: Callable[[CommandSpec], bool]) -> frozenset[str]:
        """The names of the commands that pass ``test`` (``lambda spec: spec.read_only``)."""
        return frozenset(spec.name for spec in self.specs if test(spec))

    @functools.cached_property
    def read_only(self) -> frozenset[str]:
        """Commands that change nothing in the cluster."""
        return self.names_where(lambda spec: spec.read_only)

    @functools.cached_property
    def run_by_workers(self) -> frozenset[str]:
        """Commands carried out by a job function (every command the engine does not answer itself)."""
        return self.names_where(lambda spec: not spec.answered_by_engine)

    @functools.cached_property
    def job_functions(self) -> frozenset[str]:
        """The dotted paths of the job functions: the only functions a worker runs."""
        return frozenset(spec.function for spec in self.specs if spec.function is not None)

    def by_function(self, path: str) -> CommandSpec | None:
        """The command whose job function is ``path``, or None."""
        return self._by_function.get(path)

    @functools.cached_property
    def _by_function(self) -> dict[str, CommandSpec]:
        return {spec.function: spec for spec in self.specs if spec.function is not None}

    # The words that name commands.

    @functools.cached_property
    def heads(self) -> dict[tuple[str, ...], str]:
        """The one or two words naming each command (its name, then its other spellings), to its name."""
        own = {tuple(spec.name.split()): spec.name for spec in self.specs}
        return own | {tuple(words.split()): spec.name for spec in self.specs for words in spec.also_typed}

    @functools.cached_property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """Each first word of a two-word command (``upgrade``) to the second words it takes."""
        groups: dict[str, tuple[str, ...]] = {}
        for head in self.heads:
            if len(head) == 2:
                groups[head[0]] = (*groups.get(head[0], ()), head[1])
        return groups

    @functools.cached_property
    def verbs(self) -> list[str]:
        """Every first word, sorted, for suggestions."""
        return sorted({head[0] for head in self.heads})

    def topic(self, words: tuple[str, ...]) -> str | None:
        """The command or group ``help WORDS`` is about (kubectl spellings resolved), or None."""
        joined = " ".join(words)
        if joined in self._by_name or joined in self.groups:
            return joined
        return self.heads.get(words)

    def topics(self) -> list[str]:
        """Every command name, then every group word: what ``help`` can be asked about."""
        return [*self.names, *self.groups]
