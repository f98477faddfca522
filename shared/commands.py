"""The commands the bot understands, as frozen values: one dataclass per verb.

:func:`shared.grammar.parse` is the only way chat text becomes one of these. Every command carries
``cluster`` (``None``: the default cluster, decided by settings) and ``dry_run`` (plan only, change
nothing), and exposes what policy and messages need without knowing the verb:

- ``name``: the policy name from :data:`shared.vocabulary.COMMAND_NAMES` (``"upgrade plan"``);
- ``namespace``: the namespace it acts in, ``None`` for cluster-scoped commands, and for deployment
  commands ``None`` also when none was given (the policy's default namespace applies);
- ``target``: the node, deployment, version, snapshot or id it acts on, ``""`` if none.

Names in fields are already validated (see :mod:`shared.names`), versions are normalised (see
:func:`shared.grammar.normalize_version`) and free text (``Note.text``, ``IncidentOpen.title``,
``Deny.reason``) is stored chat-safe, already passed through
:func:`shared.text.escape_for_chat`, which is idempotent, so escaping it again is harmless.
``target`` holds validated names only, never free text. All fields are JSON-safe.
"""

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


@dataclass(frozen=True, kw_only=True)
class BackupConfig(Command):
    """``backup config [NAMESPACE|--all]``: export a namespace's configuration, or every namespace's.

    ``namespace=None`` with ``all_namespaces=False`` means the policy's default namespace.
    """

    name: ClassVar[str] = "backup config"
    namespace: str | None = None
    all_namespaces: bool = False

    @property
    def target(self) -> str:
        return self.namespace or ""


@dataclass(frozen=True, kw_only=True)
class BackupSecrets(BackupConfig):
    """``backup config [NAMESPACE|--all] --include-secrets`` (or ``backup secrets``): Secrets included.

    Its own command name, so the policy decides it apart from ``backup config``: a rule must name it.
    """

    name: ClassVar[str] = "backup secrets"


@dataclass(frozen=True, kw_only=True)
class BackupList(Command):
    """``backup list``: the stored configuration backups and etcd snapshots, newest first."""

    name: ClassVar[str] = "backup list"


@dataclass(frozen=True, kw_only=True)
class BackupShow(Command):
    """``backup show NAME``: one backup's manifest, with its checksums verified."""

    name: ClassVar[str] = "backup show"
    backup: str

    @property
    def target(self) -> str:
        return self.backup


@dataclass(frozen=True, kw_only=True)
class BackupRestore(Command):
    """``backup restore NAME [--namespace NS]``: preview a restore (read-only): what would change.

    ``namespace=None``: every object in the backup.
    """

    name: ClassVar[str] = "backup restore"
    backup: str
    namespace: str | None = None

    @property
    def target(self) -> str:
        return self.backup


@dataclass(frozen=True, kw_only=True)
class EtcdSnapshot(Command):
    """``etcd snapshot``: take an etcd snapshot."""

    name: ClassVar[str] = "etcd snapshot"


@dataclass(frozen=True, kw_only=True)
class EtcdStatus(Command):
    """``etcd status NAME``: check a snapshot."""

    name: ClassVar[str] = "etcd status"
    snapshot: str

    @property
    def target(self) -> str:
        return self.snapshot


@dataclass(frozen=True, kw_only=True)
class EtcdRestore(Command):
    """``etcd restore NAME``: restore etcd from a snapshot."""

    name: ClassVar[str] = "etcd restore"
    snapshot: str

    @property
    def target(self) -> str:
        return self.snapshot


@dataclass(frozen=True, kw_only=True)
class Cancel(Command):
    """``cancel JOB``: stop a queued or running job."""

    name: ClassVar[str] = "cancel"
    job: str

    @property
    def target(self) -> str:
        return self.job


@dataclass(frozen=True, kw_only=True)
class IncidentOpen(Command):
    """``incident open TITLE``: start an incident; ``title`` is chat-safe text."""

    name: ClassVar[str] = "incident open"
    title: str


@dataclass(frozen=True, kw_only=True)
class IncidentClose(Command):
    """``incident close``: close the open incident."""

    name: ClassVar[str] = "incident close"


@dataclass(frozen=True, kw_only=True)
class Note(Command):
    """``note TEXT``: add a note to the timeline; ``text`` is chat-safe text."""

    name: ClassVar[str] = "note"
    text: str


@dataclass(frozen=True, kw_only=True)
class Timeline(Command):
    """``timeline [INCIDENT]``: show or export a timeline; ``incident=None``: the current one.

    ``link`` asks for an expiring link to the incident's web page; ``revoke_links`` stops every link
    to it given so far.
    """

    name: ClassVar[str] = "timeline"
    incident: str | None = None
    export: ExportFormat | None = None
    link: bool = False
    revoke_links: bool = False

    @property
    def target(self) -> str:
        return self.incident or ""


@dataclass(frozen=True, kw_only=True)
class Approve(Command):
    """``approve [APPROVAL]`` (in an approval thread): approve the request.

    ``approval_id`` names the request; it is required where the thread holds several pending ones.
    """

    name: ClassVar[str] = "approve"
    approval_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Deny(Command):
    """``deny [APPROVAL] [REASON]`` (in an approval thread): refuse the request.

    ``reason`` is chat-safe text; ``approval_id`` names the request as for :class:`Approve`.
    """

    name: ClassVar[str] = "deny"
    reason: str | None = None
    approval_id: str | None = None


COMMAND_TYPES: tuple[type[Command], ...] = (
    Help,
    Nodes,
    Status,
    History,
    Jobs,
    Cordon,
    Uncordon,
    Drain,
    Maintain,
    Unmaintain,
    Rollback,
    Restart,
    Scale,
    Image,
    Strategy,
    Pause,
    Resume,
    UpgradePlan,
    UpgradeControlPlane,
    UpgradeNodes,
    BackupConfig,
    BackupSecrets,
    BackupList,
    BackupShow,
    BackupRestore,
    EtcdSnapshot,
    EtcdStatus,
    EtcdRestore,
    Cancel,
    IncidentOpen,
    IncidentClose,
    Note,
    Timeline,
    Approve,
    Deny,
)
"""One class per name in :data:`shared.vocabulary.COMMAND_NAMES`, in the same order."""
