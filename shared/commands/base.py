"""What every command shares (``cluster``, ``dry_run``, ``namespace``, ``target``), and the enums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class StrategyType(StrEnum):
    """A Deployment's ``spec.strategy.type``, as the Kubernetes API spells it."""

    ROLLING_UPDATE = "RollingUpdate"
    RECREATE = "Recreate"


class WorkloadKind(StrEnum):
    """What a rollout command (``rollback``, ``history``, ``status``) acts on, as kubectl names it."""

    DEPLOYMENT = "deployment"
    DAEMONSET = "daemonset"
    STATEFULSET = "statefulset"


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


@dataclass(frozen=True, kw_only=True)
class RolloutCommand(DeploymentCommand):
    """A rollout command, about a Deployment or (``kind``) a DaemonSet or StatefulSet named ``deployment``.

    ``rollback daemonset/log-agent``: ``kind=DAEMONSET``, ``deployment="log-agent"``.
    """

    kind: WorkloadKind = WorkloadKind.DEPLOYMENT

    @property
    def resource(self) -> str:
        """``kind/name``, as kubectl writes it (``deployment/web``, ``daemonset/log-agent``)."""
        return f"{self.kind.value}/{self.deployment}"
