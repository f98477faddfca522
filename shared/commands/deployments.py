"""The commands about one Deployment: ``rollback``, ``restart``, ``scale``, ``image``, ``strategy``,
``pause``, ``resume``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import DeploymentCommand, RolloutCommand, StrategyType


@dataclass(frozen=True, kw_only=True)
class Rollback(RolloutCommand):
    """``rollback [KIND/]NAME``: go back to a revision; ``to_revision`` ``None`` or 0 means the previous one."""

    name: ClassVar[str] = "rollback"
    to_revision: int | None = None


@dataclass(frozen=True, kw_only=True)
class Restart(DeploymentCommand):
    """``restart DEPLOY``: roll every pod of a Deployment."""

    name: ClassVar[str] = "restart"


@dataclass(frozen=True, kw_only=True)
class Scale(DeploymentCommand):
    """``scale DEPLOY N``: set the replica count (0 to 10000)."""

    name: ClassVar[str] = "scale"
    replicas: int


@dataclass(frozen=True, kw_only=True)
class Image(DeploymentCommand):
    """``image DEPLOY [CONTAINER=]IMAGE``: set a container's image; ``container=None``: the only one."""

    name: ClassVar[str] = "image"
    image: str
    container: str | None = None


@dataclass(frozen=True, kw_only=True)
class Strategy(DeploymentCommand):
    """``strategy DEPLOY rolling|recreate``: set the update strategy.

    ``max_surge`` and ``max_unavailable`` are Kubernetes int-or-string values (``1`` or ``"25%"``),
    ``None`` when not given; they are only ever set for ``RollingUpdate``.
    """

    name: ClassVar[str] = "strategy"
    strategy: StrategyType
    max_surge: int | str | None = None
    max_unavailable: int | str | None = None


@dataclass(frozen=True, kw_only=True)
class Pause(DeploymentCommand):
    """``pause DEPLOY``: pause a Deployment's rollout."""

    name: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class Resume(DeploymentCommand):
    """``resume DEPLOY``: resume a paused rollout."""

    name: ClassVar[str] = "resume"
