"""Sentences about configuration backups: exports, the backup store, restore previews and schedules.

etcd snapshots, checks and restores are in :mod:`shared.messages.etcd`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.text import human_size
from shared.text_safety import code

# --- configuration backups ------------------------------------------------------------------------


def would_back_up_config(scope: str, counts: Mapping[str, int]) -> str:
    """Dry run of ``backup config``."""
    return f"Would back up the configuration of {scope}: {_counts(counts)}."


def config_backed_up(scope: str, *, name: str, counts: Mapping[str, int]) -> str:
    """The configuration export is written."""
    return f"Backed up the configuration of {scope} as {code(name)}: {_counts(counts)}."


def config_scope(namespace: str | None) -> str:
    """How a backup's scope reads: one namespace or all of them."""
    return "every namespace" if namespace is None else f"namespace {code(namespace)}"


def namespace_not_found(namespace: str) -> str:
    """The namespace to back up does not exist."""
    return f"Namespace {code(namespace)} does not exist; nothing was backed up."


def secrets_not_exported() -> str:
    """Secrets stay out of configuration backups (they would sit in plain text in the store)."""
    return "Secrets were not exported: a configuration backup never holds them in plain text."


def custom_resources_not_listed(resources: Sequence[str]) -> str:
    """Custom resources the workers' role does not let them list: the backup goes on without them."""
    return (
        f"Not backed up, since the workers may not list them: {', '.join(code(r) for r in resources)}. "
        "Grant the workers `list` on these custom resources to include them."
    )


def _counts(counts: Mapping[str, int]) -> str:
    parts: Sequence[str] = [
        f"{count} {kind}{'' if count == 1 else 's'}" for kind, count in counts.items() if count
    ]
    return ", ".join(parts) if parts else "nothing to export"


def secrets_exported() -> str:
    """A ``backup secrets`` export holds Secret data: say so, since the store now needs guarding."""
    return "Secrets were exported with their data: guard this backup like the Secrets themselves."


def list_missing(kind: str) -> str:
    """The cluster does not serve a list the restore preview needs."""
    return f"The cluster does not serve the {kind} list; the restore preview cannot compare {kind} objects."


# --- the backup store -----------------------------------------------------------------------------


def backup_not_found(name: str) -> str:
    """No stored backup has that name."""
    return f"There is no backup named {code(name)} in the backup store. `backup list` shows them."


def not_a_config_backup(name: str) -> str:
    """A restore preview of an etcd snapshot: that is `etcd restore`'s work."""
    return (
        f"{code(name)} is an etcd snapshot, not a configuration backup; use `etcd status` or `etcd restore`."
    )


def backup_unreadable(name: str) -> str:
    """The backup file is not YAML any more."""
    return f"Backup {code(name)} cannot be read as YAML; do not restore it."


def _checksum(ok: object) -> str:
    if ok is None:
        return "no checksum recorded"
    return "checksum ok" if ok else "CHECKSUM MISMATCH"


def _when(stamp: str) -> str:
    """``20261128T020000Z`` as ``2026-11-28 02:00:00 UTC``."""
    if len(stamp) != 16:
        return stamp
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]} UTC"


def _what(row: Mapping[str, object]) -> str:
    if row.get("kind") == "etcd":
        return "etcd snapshot"
    scope = str(row.get("scope", ""))
    return "config of every namespace" if scope == "all" else f"config of namespace {code(scope)}"


def backup_list(rows: Sequence[Mapping[str, object]], *, total: int) -> str:
    """``backup list``: one line per backup, newest first."""
    if not rows:
        return "The backup store holds no backups yet. `backup config` or `etcd snapshot` makes one."
    lines = [f"{total} backup{'' if total == 1 else 's'}, newest first:"]
    for row in rows:
        size = row.get("size")
        lines.append(
            f"• {code(str(row['name']))}: {_what(row)}, {human_size(size if isinstance(size, int) else 0)}, "
            f"{_when(str(row.get('stamp', '')))}, {_checksum(row.get('checksum_ok'))}"
        )
    if total > len(rows):
        lines.append(f"…and {total - len(rows)} older.")
    return "\n".join(lines)


def backup_manifest(
    row: Mapping[str, object],
    *,
    counts: Mapping[str, int],
    verified: int,
    mismatched: Sequence[str],
    missing: Sequence[str],
    secrets: bool,
) -> str:
    """``backup show`` of a configuration backup: what it holds and whether its checksums hold."""
    total = sum(counts.values())
    lines = [
        f"Backup {code(str(row['name']))}: {_what(row)}, {_when(str(row.get('stamp', '')))}, "
        f"file {_checksum(row.get('checksum_ok'))}.",
        f"Objects: {_counts(counts)}" + (" (Secrets included, with their data)." if secrets else "."),
        f"Checksums: {verified} of {total} objects match the manifest.",
    ]
    if mismatched:
        lines.append(
            "Changed since the backup or not in its manifest: " + ", ".join(code(k) for k in mismatched[:10])
        )
    if missing:
        lines.append("In the manifest but missing from the file: " + ", ".join(code(k) for k in missing[:10]))
    return "\n".join(lines)


def snapshot_record(row: Mapping[str, object], *, status: Mapping[str, object]) -> str:
    """``backup show`` of an etcd snapshot: its record (``etcd status`` checks the file itself)."""
    size = row.get("size")
    text = (
        f"etcd snapshot {code(str(row['name']))}: {_when(str(row.get('stamp', '')))}, "
        f"{human_size(size if isinstance(size, int) else 0)}, {_checksum(row.get('checksum_ok'))}."
    )
    if status:
        text += f" When saved: revision {status.get('revision')}, {status.get('total_keys')} keys."
    return text + f" `etcd status {row['name']}` checks it with etcdutl."


def restore_preview(
    name: str,
    *,
    namespace: str | None,
    created: Sequence[str],
    changed: Sequence[tuple[str, Sequence[str]]],
    unchanged: int,
    shown: int = 15,
    fields: int = 6,
) -> str:
    """``backup restore``: what re-applying the backup would do. Nothing was changed."""
    where = "" if namespace is None else f" (namespace {code(namespace)} only)"
    lines = [
        f"Restore preview of {code(name)}{where}: {len(created)} to create, {len(changed)} to change, "
        f"{unchanged} unchanged. Nothing was changed."
    ]
    if created:
        more = f" …and {len(created) - shown} more" if len(created) > shown else ""
        lines.append("Would create: " + ", ".join(code(key) for key in created[:shown]) + more)
    for key, paths in changed[:shown]:
        more = f" …and {len(paths) - fields} more" if len(paths) > fields else ""
        lines.append(f"Would change {code(key)}: " + ", ".join(code(path) for path in paths[:fields]) + more)
    if len(changed) > shown:
        lines.append(f"…and {len(changed) - shown} more changed objects.")
    return "\n".join(lines)


def how_to_restore(path: str, *, checksum_ok: bool | None) -> str:
    """The bot never applies a backup: how to do it by hand."""
    warning = " Its checksum does not match: check it before applying." if checksum_ok is False else ""
    return (
        f"To restore, apply the file yourself: `kubectl apply -f {path}` (on the worker's backup store). "
        "The bot does not apply backups." + warning
    )


# --- scheduled backups ----------------------------------------------------------------------------


def retention_deleted(schedule: str, *, keep: int, names: Sequence[str]) -> str:
    """Retention removed a schedule's oldest backups."""
    return (
        f"Schedule {code(schedule)} keeps {keep} backup{'' if keep == 1 else 's'}; deleted the oldest: "
        + ", ".join(code(name) for name in names)
    )


def scheduled_description(schedule: str, command: str) -> str:
    """The description of a scheduled job."""
    return f"{command} (schedule {schedule})"


def scheduled_queued(schedule: str, *, job_id: str) -> str:
    """A schedule put its job on the queue."""
    return f"Schedule {code(schedule)} queued job {code(job_id)}."


def schedule_unreadable() -> str:
    """The schedule file cannot be read, or has no ``schedules`` list."""
    return "The schedule file (`CHATOPS_SCHEDULE`) cannot be read, or has no `schedules:` list."


def schedule_entry_invalid(index: int, problem: str) -> str:
    """One entry of the schedule file is not usable."""
    return f"Schedule entry {index + 1} is not usable: {problem}"


def schedule_name_repeated(name: str) -> str:
    """Two schedule entries share a name (slots and retention are per name)."""
    return f"Two schedule entries are called {code(name)}; each needs its own name."


def restore_hook_started(*, member: str) -> str:
    """The configured restore hook is running the remaining steps."""
    return (
        f"Running the configured restore hook for member {code(member)}: it stops the API servers, points "
        "etcd at the restored directory and restarts them in order."
    )


def restore_hook_done(*, member: str) -> str:
    """The restore hook finished."""
    return f"The restore hook finished: etcd runs member {code(member)} from the restored directory."


def restore_hook_left_steps(next_steps: str) -> str:
    """The restore hook failed: the data directory is restored, the rest is for a person now."""
    return (
        "The restore hook failed (see below); the snapshot is restored, but these steps are left:\n"
        + next_steps
    )
