"""The commands the bot understands, as frozen values: one dataclass per verb, one module per area.

:func:`shared.grammar.parse` is the only way chat text becomes one of these. Every command carries
``cluster`` (``None``: the default cluster, decided by settings) and ``dry_run`` (plan only, change
nothing), and exposes what policy and messages need without knowing the verb:

- ``name``: the policy name, its entry's in :mod:`shared.registry` (``"upgrade plan"``);
- ``namespace``: the namespace it acts in, ``None`` for cluster-scoped commands, and for deployment
  commands ``None`` also when none was given (the policy's default namespace applies);
- ``target``: the node, deployment, version, snapshot or id it acts on, ``""`` if none.

Names in fields are already validated (see :mod:`shared.names`), versions are normalised (see
:func:`shared.parsing.arguments.normalize_version`) and free text (``Note.text``, ``IncidentOpen.title``,
``Deny.reason``) is stored chat-safe, already passed through
:func:`shared.text.escape_for_chat`, which is idempotent, so escaping it again is harmless.
``target`` holds validated names only, never free text. All fields are JSON-safe. What every command
shares is in :mod:`.base`; each area's commands are in the module of that name, as in :mod:`shared.catalog`.
"""

from __future__ import annotations

from shared.commands.backups import (
    BackupConfig,
    BackupList,
    BackupRestore,
    BackupSecrets,
    BackupShow,
    EtcdRestore,
    EtcdSnapshot,
    EtcdStatus,
)
from shared.commands.base import (
    Command,
    DeploymentCommand,
    ExportFormat,
    NodeCommand,
    NodeUpgradeStrategy,
    RolloutCommand,
    StrategyType,
    WorkloadKind,
)
from shared.commands.deployments import Image, Pause, Restart, Resume, Rollback, Scale, Strategy
from shared.commands.incidents import (
    Approve,
    Cancel,
    Deny,
    Freeze,
    IncidentClose,
    IncidentOpen,
    Note,
    Timeline,
    Unfreeze,
)
from shared.commands.looking import Help, History, Jobs, Nodes, Status
from shared.commands.nodes import Cordon, Drain, Maintain, Uncordon, Unmaintain
from shared.commands.upgrades import UpgradeControlPlane, UpgradeNodes, UpgradePlan

__all__ = [
    "Approve",
    "BackupConfig",
    "BackupList",
    "BackupRestore",
    "BackupSecrets",
    "BackupShow",
    "Cancel",
    "Command",
    "Cordon",
    "Deny",
    "DeploymentCommand",
    "Drain",
    "EtcdRestore",
    "EtcdSnapshot",
    "EtcdStatus",
    "ExportFormat",
    "Freeze",
    "Help",
    "History",
    "Image",
    "IncidentClose",
    "IncidentOpen",
    "Jobs",
    "Maintain",
    "NodeCommand",
    "NodeUpgradeStrategy",
    "Nodes",
    "Note",
    "Pause",
    "Restart",
    "Resume",
    "Rollback",
    "RolloutCommand",
    "Scale",
    "Status",
    "Strategy",
    "StrategyType",
    "Timeline",
    "Uncordon",
    "Unfreeze",
    "Unmaintain",
    "UpgradeControlPlane",
    "UpgradeNodes",
    "UpgradePlan",
    "WorkloadKind",
]
