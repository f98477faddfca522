"""The commands about one node: ``cordon``, ``uncordon``, ``drain``, ``maintain``, ``unmaintain``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import NodeCommand


@dataclass(frozen=True, kw_only=True)
class Cordon(NodeCommand):
    """``cordon NODE``: mark a node unschedulable."""

    name: ClassVar[str] = "cordon"


@dataclass(frozen=True, kw_only=True)
class Uncordon(NodeCommand):
    """``uncordon NODE``: mark a node schedulable again."""

    name: ClassVar[str] = "uncordon"


@dataclass(frozen=True, kw_only=True)
class Drain(NodeCommand):
    """``drain NODE``: cordon, then evict every pod except DaemonSet pods (always ignored).

    ``grace_period`` is seconds given to each pod (``None``: the pod's own); ``timeout`` is seconds to
    wait before giving up (``None``: the worker's default).
    """

    name: ClassVar[str] = "drain"
    force: bool = False
    delete_emptydir_data: bool = False
    grace_period: int | None = None
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class Maintain(NodeCommand):
    """``maintain NODE``: cordon and drain a node for maintenance, recording it on the timeline."""

    name: ClassVar[str] = "maintain"


@dataclass(frozen=True, kw_only=True)
class Unmaintain(NodeCommand):
    """``unmaintain NODE``: end maintenance: uncordon the node."""

    name: ClassVar[str] = "unmaintain"
