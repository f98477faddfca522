"""The read-only backup jobs: ``backup list``, ``backup show NAME`` and ``backup restore NAME`` (a preview).

They read the worker's backup store (see :mod:`workers.backup_store`) and, for the restore preview,
the live cluster; none of them writes anything.
"""

from __future__ import annotations

from typing import Any

from shared.messages import backups as wording
from workers import backup_store, etcd
from workers.report import Reporter
from workers.restore_preview import preview
from workers.runtime import job

LISTED = 30
"""Backups ``backup list`` shows; older ones are counted."""


@job(lambda **_: "list the backups")
def backup_list(*, reporter: Reporter, dry_run: bool = False) -> dict[str, Any]:
    """The configuration backups and etcd snapshots in the store, newest first, checksums checked."""
    entries = backup_store.list_backups(etcd.settings().backup_dir)
    rows = [entry.to_json() for entry in entries[:LISTED]]
    reporter.progress(wording.backup_list(rows, total=len(entries)))
    return {"backups": rows, "total": len(entries)}


@job(lambda *, backup, **_: f"show backup {backup}")
def backup_show(*, reporter: Reporter, backup: str, dry_run: bool = False) -> dict[str, Any]:
    """A backup's manifest: its objects by kind and whether every checksum still holds."""
    entry = backup_store.find_backup(etcd.settings().backup_dir, backup)
    if entry.kind == backup_store.ETCD:
        reporter.progress(wording.snapshot_record(entry.to_json(), status=entry.record.get("status") or {}))
        return {"backup": entry.to_json()}
    checked = backup_store.verify(entry)
    reporter.progress(
        wording.backup_manifest(
            entry.to_json(),
            counts=checked.counts,
            verified=checked.verified,
            mismatched=checked.mismatched,
            missing=checked.missing,
            secrets=bool(entry.record.get("secrets")),
        )
    )
    return {
        "backup": entry.to_json(),
        "counts": checked.counts,
        "verified": checked.verified,
        "mismatched": list(checked.mismatched),
        "missing": list(checked.missing),
        "ok": checked.ok,
    }


@job(lambda *, backup, **_: f"preview restoring backup {backup}")
def backup_restore(
    *, reporter: Reporter, backup: str, namespace: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Compare a configuration backup with the live cluster: what a restore would create or change."""
    store = etcd.settings().backup_dir
    entry = backup_store.find_backup(store, backup)
    documents = backup_store.load_documents(entry)
    outcome = preview(documents, namespace=namespace)
    reporter.progress(
        wording.restore_preview(
            entry.name,
            namespace=namespace,
            created=outcome.created,
            changed=outcome.changed,
            unchanged=len(outcome.unchanged),
        )
    )
    reporter.progress(wording.how_to_restore(str(entry.path), checksum_ok=entry.checksum_ok()))
    return {"backup": entry.name, "namespace": namespace, **outcome.to_json()}
