"""Backups: configuration exports (``backup config|secrets|list|show|restore``) and etcd snapshots."""

from __future__ import annotations

from typing import Any

from shared import commands as c
from shared import permissions as p
from shared.command_spec import CommandSpec
from shared.messages import usage as messages
from shared.names import NameKind
from shared.parsing.arguments import Arguments, no_arguments
from shared.parsing.options import NAMESPACE, Option

AREA = "Backups"
DEFAULT_NAMESPACE = "default"
"""The namespace a job is told when the bot sent none (it always resolves one from the policy)."""

_ALL_NAMESPACES = Option("--all", takes_value=False, spellings=("--all-namespaces", "-A"))
_INCLUDE_SECRETS = Option("--include-secrets", takes_value=False)


def _build_backup_config(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    positional = arguments.optional(0)
    option = arguments.values.get(NAMESPACE.key)
    everything = arguments.switch(_ALL_NAMESPACES)
    if positional is not None and option is not None:
        arguments.fail(messages.conflicting("NAMESPACE", "`--namespace`"))
    raw = positional if positional is not None else option
    if raw is not None and everything:
        arguments.fail(messages.conflicting("a namespace", "`--all`"))
    namespace = None if raw is None else arguments.name(NameKind.NAMESPACE, raw)
    secrets = arguments.command == "backup secrets" or arguments.switch(_INCLUDE_SECRETS)
    kind = c.BackupSecrets if secrets else c.BackupConfig
    return kind(namespace=namespace, all_namespaces=everything)


def _build_backup_show(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    return c.BackupShow(backup=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "BACKUP")))


def _build_backup_restore(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    backup = arguments.name(NameKind.SNAPSHOT, arguments.required(0, "BACKUP"))
    return c.BackupRestore(backup=backup, namespace=arguments.namespace())


def _build_etcd_status(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    return c.EtcdStatus(snapshot=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "SNAPSHOT")))


def _build_etcd_restore(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    return c.EtcdRestore(snapshot=arguments.name(NameKind.SNAPSHOT, arguments.required(0, "SNAPSHOT")))


def _describe_backup(
    *, namespace: str | None = None, all_namespaces: bool = False, include_secrets: bool = False, **_: Any
) -> str:
    return (
        "back up the configuration "
        + ("and Secrets " if include_secrets else "")
        + "of "
        + ("every namespace" if all_namespaces else f"namespace {namespace or DEFAULT_NAMESPACE}")
    )


SPECS = (
    CommandSpec(
        name="backup config",
        command=c.BackupConfig,
        build=_build_backup_config,
        options=(NAMESPACE, _ALL_NAMESPACES, _INCLUDE_SECRETS),
        usage="backup config [NAMESPACE|--all]",
        summary=(
            "Back up a namespace's configuration, or every namespace's with --all; "
            "--include-secrets needs the policy's `backup secrets`."
        ),
        example="backup config shop",
        area=AREA,
        aliases=("backup config -n NAMESPACE", "backup config --all-namespaces"),
        describe_job=_describe_backup,
        permissions=p.CONFIGURATION_READ,
    ),
    CommandSpec(
        name="backup secrets",
        command=c.BackupSecrets,
        build=_build_backup_config,
        options=(NAMESPACE, _ALL_NAMESPACES),
        usage="backup config [NAMESPACE|--all] --include-secrets",
        summary=(
            "Back up a namespace's configuration with its Secrets "
            "(same as `backup config --include-secrets`)."
        ),
        example="backup config shop --include-secrets",
        area=AREA,
        aliases=("backup secrets [NAMESPACE|--all]",),
        explicit_only=True,
        describe_job=lambda **kwargs: _describe_backup(**kwargs, include_secrets=True),
        permissions=p.SECRETS_READ,
    ),
    CommandSpec(
        name="backup list",
        command=c.BackupList,
        build=no_arguments(c.BackupList),
        usage="backup list",
        summary="List the stored configuration backups and etcd snapshots, newest first.",
        example="backup list",
        area=AREA,
        read_only=True,
        describe_job=lambda **_: "list the backups",
        permissions=(),
    ),
    CommandSpec(
        name="backup show",
        command=c.BackupShow,
        build=_build_backup_show,
        usage="backup show BACKUP",
        summary="Show a backup's objects by kind, with its checksums verified.",
        example="backup show config-20261128T020000Z-job-1-shop.yaml",
        area=AREA,
        read_only=True,
        describe_job=lambda *, backup, **_: f"show backup {backup}",
        permissions=(),
    ),
    CommandSpec(
        name="backup restore",
        command=c.BackupRestore,
        build=_build_backup_restore,
        options=(NAMESPACE,),
        usage="backup restore BACKUP [-n NAMESPACE]",
        summary=(
            "Preview restoring a configuration backup: what would be created or changed (changes nothing)."
        ),
        example="backup restore config-20261128T020000Z-job-1-shop.yaml -n shop",
        area=AREA,
        read_only=True,
        describe_job=lambda *, backup, **_: f"preview restoring backup {backup}",
        permissions=p.CONFIGURATION_READ,
    ),
    CommandSpec(
        name="etcd snapshot",
        command=c.EtcdSnapshot,
        build=no_arguments(c.EtcdSnapshot),
        usage="etcd snapshot",
        summary="Take an etcd snapshot.",
        example="etcd snapshot",
        area=AREA,
        describe_job=lambda **_: "save an etcd snapshot",
    ),
    CommandSpec(
        name="etcd status",
        command=c.EtcdStatus,
        build=_build_etcd_status,
        usage="etcd status SNAPSHOT",
        summary="Check an etcd snapshot.",
        example="etcd status snap-1",
        area=AREA,
        read_only=True,
        describe_job=lambda *, snapshot, **_: f"check etcd snapshot {snapshot}",
    ),
    CommandSpec(
        name="etcd restore",
        command=c.EtcdRestore,
        build=_build_etcd_restore,
        usage="etcd restore SNAPSHOT",
        summary="Restore etcd from a snapshot.",
        example="etcd restore snap-1",
        area=AREA,
        loses="every change made to the cluster since the snapshot was taken is lost",
        describe_job=lambda *, snapshot, **_: f"restore etcd from snapshot {snapshot}",
    ),
)
