"""The commands of the Looking area: ``help``, ``nodes``, ``status``, ``history``, ``jobs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import Command, RolloutCommand


@dataclass(frozen=True, kw_only=True)
class Help(Command):
    """``help [CMD]``: the command list, or one command (or group, like ``upgrade``) in detail."""

    name: ClassVar[str] = "help"
    topic: str | None = None

    @property
    def target(self) -> str:
        return self.topic or ""


@dataclass(frozen=True, kw_only=True)
class Nodes(Command):
    """``nodes``: list nodes with their readiness, schedulability and version."""

    name: ClassVar[str] = "nodes"


@dataclass(frozen=True, kw_only=True)
class Status(RolloutCommand):
    """``status [KIND/]NAME``: a Deployment's (DaemonSet's, StatefulSet's) rollout status."""

    name: ClassVar[str] = "status"


@dataclass(frozen=True, kw_only=True)
class History(RolloutCommand):
    """``history [KIND/]NAME``: a Deployment's (DaemonSet's, StatefulSet's) revisions."""

    name: ClassVar[str] = "history"


@dataclass(frozen=True, kw_only=True)
class Jobs(Command):
    """``jobs``: running and recent jobs."""

    name: ClassVar[str] = "jobs"
