"""What every command shares (``cluster``, ``dry_run``, ``namespace``, ``target``), and the enums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class StrategyType(StrEnum):
    """A Deployment's ``spec.strategy.type``, as the Kubernetes API spells it."""

    ROLLING_UPDATE = "RollingUpdate"
    RECREATE = "Recreate"


class NodeUpgradeStrategy(StrEnum):
    """How ``upgrade nodes`` walks the nodes."""

    ONE_AT_A_TIME = "one-at-a-time"
    ALL_AT_ONCE = "all-at-once"
    SURGE = "surge"


class ExportFormat(StrEnum):
    """The formats ``timeline --export`` can produce."""

    MARKDOWN = "md"
    JSON = "json"


@dataclass(frozen=True, kw_only=True)
class Command:
    """What every command shares: where it runs and whether it only plans."""

    name: ClassVar[str]
    cluster: str | None = None
    dry_run: bool = False

    @property
    def namespace(self) -> str | None:
        """The namespace the command acts in; ``None`` for cluster-scoped commands."""
        return None

    @property
    def target(self) -> str:
        """What the command acts on, for messages; ``""`` if nothing in particular."""
        return ""


@dataclass(frozen=True, kw_only=True)
class NodeCommand(Command):
    """A command about one node."""

    node: str

    @property
    def target(self) -> str:
        return self.node


@dataclass(frozen=True, kw_only=True)
class DeploymentCommand(Command):
    """A command about one Deployment; ``namespace=None`` means the policy's default namespace."""

    deployment: str
    namespace: str | None = None

    @property
    def target(self) -> str:
        return self.deployment
