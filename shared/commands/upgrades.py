"""The upgrade commands: ``upgrade plan``, ``upgrade control-plane``, ``upgrade nodes``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import Command, NodeUpgradeStrategy


@dataclass(frozen=True, kw_only=True)
class UpgradePlan(Command):
    """``upgrade plan [VERSION]``: what an upgrade would do; ``version=None``: the next available."""

    name: ClassVar[str] = "upgrade plan"
    version: str | None = None

    @property
    def target(self) -> str:
        return self.version or ""


@dataclass(frozen=True, kw_only=True)
class UpgradeControlPlane(Command):
    """``upgrade control-plane VERSION``: upgrade the control plane."""

    name: ClassVar[str] = "upgrade control-plane"
    version: str

    @property
    def target(self) -> str:
        return self.version


@dataclass(frozen=True, kw_only=True)
class UpgradeNodes(Command):
    """``upgrade nodes VERSION``: upgrade kubelets; ``nodes=()`` means every node."""

    name: ClassVar[str] = "upgrade nodes"
    version: str
    strategy: NodeUpgradeStrategy = NodeUpgradeStrategy.ONE_AT_A_TIME
    nodes: tuple[str, ...] = ()
    force: bool = False
    """As for drain: pods without a controller may be lost when their node is drained."""
    delete_emptydir_data: bool = False
    """As for drain: emptyDir data may be deleted when its node is drained."""

    @property
    def target(self) -> str:
        return self.version
