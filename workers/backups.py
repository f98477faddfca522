"""The backup jobs: ``backup config`` (clean YAML that ``kubectl apply`` accepts again) and the etcd
snapshot, status and restore jobs, all writing into the worker's backup store (a directory).

Store layout under ``CHATOPS_BACKUP_DIR``::

    config/config-<UTC stamp>-<job id>-<namespace|all>.yaml           multi-document YAML
    config/config-<UTC stamp>-<job id>-<namespace|all>.manifest.json  SHA-256 of the file and each object
    etcd/etcd-<UTC stamp>-<job id>.db                                 etcd snapshot
    etcd/etcd-<UTC stamp>-<job id>.db.json                            its SHA-256 and etcdutl status
    restores/<snapshot stem>-<job id>/                                restored data directories

Names carry the job id, so a retried job never overwrites another's file and a file says which request
made it; the records carry it too (``job_id``), which is how retention finds a schedule's backups.
Scheduled jobs pass ``schedule`` and ``keep``: after a backup succeeds, the schedule's oldest backups
beyond ``keep`` are deleted.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import yaml

from shared.messages import backups as wording
from shared.messages import etcd as etcd_wording
from workers import backup_store, etcd
from workers.config_export import collect_config
from workers.errors import JobError, NotFound
from workers.hook_commands import run_hook
from workers.report import Reporter
from workers.runtime import job
from workers.schedule import job_id_pattern

# --- the store ---------------------------------------------------------------------------------------

_SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def utc_stamp(now: float | None = None) -> str:
    """A sortable UTC timestamp for file names: ``20261128T011712Z``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))


sha256_of = backup_store.sha256_of


def apply_retention(reporter: Reporter, *, schedule: str | None, keep: int | None) -> list[str]:
    """After a scheduled backup succeeded: delete that schedule's oldest backups beyond ``keep``."""
    if schedule is None or keep is None:
        return []
    deleted = backup_store.prune(
        etcd.settings().backup_dir, job_id_pattern=job_id_pattern(schedule), keep=keep
    )
    if deleted:
        reporter.progress(wording.retention_deleted(schedule, keep=keep, names=deleted))
    return deleted


def snapshot_path(settings: etcd.EtcdSettings, name: str) -> Path:
    """Where the snapshot called ``name`` lives (``.db`` may be left out); never outside the store."""
    if _SNAPSHOT_NAME.fullmatch(name) is None:
        raise NotFound(etcd_wording.snapshot_not_found(name))
    exact = settings.snapshot_dir / name
    if not exact.is_file() and not name.endswith(".db") and (settings.snapshot_dir / f"{name}.db").is_file():
        return settings.snapshot_dir / f"{name}.db"
    return exact


def _record_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + ".json")


# --- etcd jobs ---------------------------------------------------------------------------------------


@job(lambda **_: "save an etcd snapshot")
def etcd_snapshot(
    *, reporter: Reporter, dry_run: bool = False, schedule: str | None = None, keep: int | None = None
) -> dict[str, Any]:
    """Save a snapshot from the configured etcd member, check it, and record its checksum beside it."""
    settings = etcd.settings()
    name = f"etcd-{utc_stamp()}-{reporter.request.job_id}.db"
    if dry_run:
        reporter.emit_plan(etcd_wording.would_save_snapshot(endpoint=settings.endpoint, name=name))
        return {"snapshot": name, "dry_run": True}
    backup_store.private_directory(settings.snapshot_dir)
    path = etcd.save_snapshot(settings, destination=settings.snapshot_dir / name)
    backup_store.make_private(path)
    reporter.progress(etcd_wording.snapshot_saved(name))
    status = etcd.snapshot_status(settings, path)
    checksum = sha256_of(path)
    record = {
        "name": name,
        "job_id": reporter.request.job_id,
        "sha256": checksum,
        "saved_at": utc_stamp(),
        "status": status.to_json(),
    }
    backup_store.write_private(_record_path(path), json.dumps(record, indent=2) + "\n")
    reporter.progress(etcd_wording.snapshot_status(name, **status.to_json()))
    deleted = apply_retention(reporter, schedule=schedule, keep=keep)
    return {"snapshot": name, "sha256": checksum, "status": status.to_json(), "deleted": deleted}


@job(lambda *, snapshot, **_: f"check etcd snapshot {snapshot}")
def etcd_status(*, reporter: Reporter, snapshot: str, dry_run: bool = False) -> dict[str, Any]:
    """Check a stored snapshot: its checksum against the record, and etcdutl's hash, revision, keys, size."""
    settings = etcd.settings()
    path = snapshot_path(settings, snapshot)
    if not path.is_file():
        raise NotFound(etcd_wording.snapshot_not_found(snapshot))
    _verify_checksum(path)
    status = etcd.snapshot_status(settings, path)
    reporter.progress(etcd_wording.snapshot_status(path.name, **status.to_json()))
    return {"snapshot": path.name, "status": status.to_json()}


@job(lambda *, snapshot, **_: f"restore etcd from snapshot {snapshot}")
def etcd_restore(*, reporter: Reporter, snapshot: str, dry_run: bool = False) -> dict[str, Any]:
    """Restore a checked snapshot into a new data directory as a new one-member cluster; say what is left."""
    settings = etcd.settings()
    path = snapshot_path(settings, snapshot)
    if not path.is_file():
        raise NotFound(etcd_wording.snapshot_not_found(snapshot))
    job_id = reporter.request.job_id
    data_dir = settings.restore_dir / f"{path.stem}-{job_id}"
    member, token = f"restore-{job_id}", f"etcd-restore-{job_id}"
    if data_dir.exists():
        raise JobError(etcd_wording.data_dir_exists(str(data_dir)))
    _verify_checksum(path)
    status = etcd.snapshot_status(settings, path)
    reporter.progress(etcd_wording.snapshot_status(path.name, **status.to_json()))
    if dry_run:
        reporter.emit_plan(
            etcd_wording.would_restore(name=path.name, data_dir=str(data_dir), member=member, token=token)
        )
        return {"snapshot": path.name, "data_dir": str(data_dir), "dry_run": True}
    restored = etcd.restore_snapshot(settings, path, data_dir=data_dir, name=member, token=token)
    reporter.progress(
        etcd_wording.restored(name=path.name, data_dir=str(data_dir), member=member, token=token)
    )
    next_steps = etcd_wording.restore_next_steps(
        data_dir=str(data_dir), member=member, initial_cluster=restored.initial_cluster, token=token
    )
    hook = "not configured"
    if settings.restore_command:
        reporter.progress(wording.restore_hook_started(member=member))
        try:
            run_hook(
                settings.restore_command,
                values={
                    "action": "etcd-restore",
                    "data_dir": str(data_dir),
                    "member": member,
                    "token": token,
                    "initial_cluster": restored.initial_cluster,
                    "snapshot": path.name,
                },
                where=member,
                timeout=settings.restore_timeout,
            )
        except JobError:
            reporter.warning(wording.restore_hook_left_steps(next_steps))
            raise
        reporter.progress(wording.restore_hook_done(member=member))
        hook = "done"
    else:
        reporter.warning(next_steps)
    return {
        "restore_hook": hook,
        "snapshot": path.name,
        "data_dir": str(restored.data_dir),
        "name": restored.name,
        "initial_cluster": restored.initial_cluster,
        "initial_cluster_token": restored.initial_cluster_token,
        "peer_url": restored.peer_url,
        "status": status.to_json(),
    }


def _verify_checksum(path: Path) -> None:
    record = _record_path(path)
    if not record.is_file():
        return
    try:
        expected = json.loads(record.read_text()).get("sha256")
    except ValueError:
        expected = None
    if expected and expected != sha256_of(path):
        raise JobError(etcd_wording.snapshot_checksum_mismatch(path.name))


# --- configuration export ----------------------------------------------------------------------------

DEFAULT_NAMESPACE = "default"
"""The namespace backed up when the bot sent none (it normally resolves the policy's default first)."""


_object_key = backup_store.object_key


def _counts(documents: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in documents:
        counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
    return counts


def _describe_backup(
    *, namespace: str | None = None, all_namespaces: bool = False, include_secrets: bool = False, **_: Any
) -> str:
    return (
        "back up the configuration "
        + ("and Secrets " if include_secrets else "")
        + "of "
        + ("every namespace" if all_namespaces else f"namespace {namespace or DEFAULT_NAMESPACE}")
    )


@job(_describe_backup)
def backup_config(
    *,
    reporter: Reporter,
    namespace: str | None = None,
    all_namespaces: bool = False,
    dry_run: bool = False,
    schedule: str | None = None,
    keep: int | None = None,
) -> dict[str, Any]:
    """Export a namespace's configuration (or every namespace's) as YAML ``kubectl apply -f`` accepts again."""
    return _export(
        reporter,
        namespace=namespace,
        all_namespaces=all_namespaces,
        include_secrets=False,
        dry_run=dry_run,
        schedule=schedule,
        keep=keep,
    )


@job(lambda **kwargs: _describe_backup(**kwargs, include_secrets=True))
def backup_secrets(
    *,
    reporter: Reporter,
    namespace: str | None = None,
    all_namespaces: bool = False,
    dry_run: bool = False,
    schedule: str | None = None,
    keep: int | None = None,
) -> dict[str, Any]:
    """``backup config --include-secrets``: the same export with the Secrets and their data."""
    return _export(
        reporter,
        namespace=namespace,
        all_namespaces=all_namespaces,
        include_secrets=True,
        dry_run=dry_run,
        schedule=schedule,
        keep=keep,
    )


def _export(
    reporter: Reporter,
    *,
    namespace: str | None,
    all_namespaces: bool,
    include_secrets: bool,
    dry_run: bool,
    schedule: str | None,
    keep: int | None,
) -> dict[str, Any]:
    scope_namespace = None if all_namespaces else (namespace or DEFAULT_NAMESPACE)
    scope = wording.config_scope(scope_namespace)
    unlisted: list[str] = []
    documents = collect_config(scope_namespace, include_secrets=include_secrets, unlisted=unlisted)
    if unlisted:
        reporter.warning(wording.custom_resources_not_listed(unlisted))
    counts = _counts(documents)
    name = f"config-{utc_stamp()}-{reporter.request.job_id}-{scope_namespace or 'all'}.yaml"
    if dry_run:
        reporter.emit_plan(wording.would_back_up_config(scope, counts))
        return {"backup": name, "counts": counts, "dry_run": True}
    text = yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)
    directory = backup_store.private_directory(etcd.settings().backup_dir / "config")
    path = directory / name
    backup_store.write_private(path, text)
    manifest = {
        "name": name,
        "job_id": reporter.request.job_id,
        "scope": scope_namespace or "all",
        "secrets": include_secrets,
        "sha256": sha256_of(path),
        "objects": {_object_key(doc): backup_store.object_digest(doc) for doc in documents},
    }
    backup_store.write_private(
        path.with_name(name.removesuffix(".yaml") + ".manifest.json"), json.dumps(manifest, indent=2) + "\n"
    )
    reporter.progress(wording.config_backed_up(scope, name=name, counts=counts))
    reporter.progress(wording.secrets_exported() if include_secrets else wording.secrets_not_exported())
    deleted = apply_retention(reporter, schedule=schedule, keep=keep)
    return {"backup": name, "counts": counts, "sha256": manifest["sha256"], "deleted": deleted}
