"""The backup commands: configuration exports and etcd snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import Command


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
