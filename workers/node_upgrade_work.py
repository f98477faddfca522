"""What ``upgrade nodes VERSION`` will do, before it does anything: each node's checkpoint (the step it
reached, kept on the node so a re-run resumes), the nodes chosen and their order, and the refusals (drain
flags needed, nodes another maintenance holds).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from shared.commands import NodeUpgradeStrategy
from shared.messages import upgrade_runs as run_wording
from shared.messages import upgrades as wording
from workers import maintenance
from workers.drain import plan_drain
from workers.errors import JobError, NotFound
from workers.nodes import is_unschedulable, read_node, set_annotation
from workers.pods import DrainFlags
from workers.upgrade_reads import CHECKPOINT, READY_TIMEOUT_SECONDS, UPGRADED_BY, kubelet_version, name_of
from workers.upgrades import CONTROL_PLANE_LABEL
from workers.versions import Version, parse_version

# --- node checkpoints ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """Where one node's upgrade stands, kept on the node so a re-run resumes there."""

    target: str
    strategy: str
    step: str
    job: str
    was_cordoned: bool = False
    moved: tuple[str, ...] = ()
    replacement: str | None = None

    def to_json(self) -> str:
        """The annotation value."""
        return json.dumps({**dataclasses.asdict(self), "moved": list(self.moved)}, sort_keys=True)

    @classmethod
    def of(cls, node: Mapping[str, Any]) -> Checkpoint | None:
        """The node's checkpoint; ``None`` without one (an unreadable one counts as none)."""
        raw = ((node.get("metadata") or {}).get("annotations") or {}).get(CHECKPOINT)
        try:
            data = json.loads(raw) if raw else None
            if not isinstance(data, dict):
                return None
            return cls(
                target=str(data["target"]),
                strategy=str(data["strategy"]),
                step=str(data["step"]),
                job=str(data.get("job", "")),
                was_cordoned=bool(data.get("was_cordoned")),
                moved=tuple(str(p) for p in data.get("moved") or ()),
                replacement=data.get("replacement"),
            )
        except (ValueError, KeyError, TypeError):
            return None


def save_checkpoint(node: str, checkpoint: Checkpoint | None) -> None:
    set_annotation(node, CHECKPOINT, None if checkpoint is None else checkpoint.to_json())


def replacement_name(node: str, target: Version) -> str:
    """The name of a surge replacement: ``node-2`` → ``node-2-v1-31`` (an earlier suffix is replaced)."""
    base = re.sub(r"-v\d+-\d+$", "", node)
    return f"{base}-v{target.major}-{target.minor}"


# --- nodes: what to do --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NodeWork:
    """One node to upgrade, and where a previous run left it."""

    name: str
    kubelet: Version | None
    cordoned: bool
    resume: Checkpoint | None

    def step(self, steps: Sequence[str]) -> str:
        """The step to start at."""
        return self.resume.step if self.resume is not None and self.resume.step in steps else steps[0]


@dataclasses.dataclass(frozen=True)
class NodeOptions:
    """What the operator chose for ``upgrade nodes``."""

    strategy: NodeUpgradeStrategy
    flags: DrainFlags
    ready_timeout: float = READY_TIMEOUT_SECONDS


def node_target(version: str, control_plane: Version) -> Version:
    """The kubelet version to reach, refusing one newer than kube-apiserver.

    A minor (``v1.31``) of the control plane's own minor means the control plane's exact version.
    """
    target = parse_version(version)
    if target is None:
        raise JobError(wording.version_unreadable(version))
    if target.release > control_plane.release or (target.patch is not None and target > control_plane):
        raise JobError(
            run_wording.newer_than_control_plane(target=str(target), control_plane=str(control_plane))
        )
    if target.patch is None and target.release == control_plane.release:
        return control_plane
    return target


def select_nodes(
    nodes: Sequence[Mapping[str, Any]], names: Sequence[str], target: Version, strategy: NodeUpgradeStrategy
) -> tuple[list[NodeWork], list[tuple[str, str]]]:
    by_name = {name_of(n): n for n in nodes}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise NotFound(run_wording.unknown_nodes(unknown))
    chosen = list(names) or sorted(
        name
        for name, n in by_name.items()
        if CONTROL_PLANE_LABEL not in ((n.get("metadata") or {}).get("labels") or {})
    )
    work: list[NodeWork] = []
    skipped: list[tuple[str, str]] = []
    for name in chosen:
        node = by_name[name]
        kubelet = kubelet_version(node)
        checkpoint = Checkpoint.of(node)
        if checkpoint is not None and (checkpoint.target != str(target) or checkpoint.strategy != strategy):
            checkpoint = dataclasses.replace(checkpoint, step="", target=str(target), strategy=str(strategy))
        if kubelet is not None and not kubelet.is_older_than(target) and checkpoint is None:
            skipped.append((name, str(kubelet)))
            continue
        work.append(NodeWork(name, kubelet, is_unschedulable(dict(node)), checkpoint))
    work.sort(key=lambda w: (w.resume is None or not w.resume.step, chosen.index(w.name)))
    return work, skipped


def drain_refusals(work: Sequence[NodeWork], flags: DrainFlags) -> list[tuple[str, str, list[str]]]:
    refusals = []
    for item in work:
        for message, pods in plan_drain(item.name, flags=flags).selection.errors().items():
            refusals.append((item.name, message, list(pods)))
    return refusals


def foreign_maintenance(work: Sequence[NodeWork]) -> list[str]:
    names = {w.name for w in work}
    return sorted(
        name
        for name in names
        if (record := maintenance.record_of(read_node(name))) is not None and record.get("by") != UPGRADED_BY
    )
