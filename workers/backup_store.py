"""Reading the backup store: which backups exist, what each holds, whether its checksums still hold,
and deleting the oldest ones a schedule keeps no longer.

The store is the directory ``workers.backups`` writes (``config/`` and ``etcd/`` under
``CHATOPS_BACKUP_DIR``). Each backup has a sidecar record: ``<name>.manifest.json`` beside a
configuration backup (file SHA-256 and one digest per object), ``<name>.json`` beside an etcd snapshot.
A backup's time is the UTC stamp in its name, so listing needs no clock and sorts the same everywhere.

Backups may hold Secrets with their data, so everything in the store is written for the worker's user
alone: files 0600 and directories 0700, whatever the process's umask (:func:`write_private`,
:func:`private_directory`, :func:`make_private`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.messages import backups as wording
from workers.errors import JobError, NotFound

CONFIG = "config"
ETCD = "etcd"

PRIVATE_FILE_MODE = 0o600
"""Every file of the store: read and written by the worker's user only."""
PRIVATE_DIRECTORY_MODE = 0o700
"""Every directory the store creates."""

_BACKUP_NAME = re.compile(r"(config|etcd)-(\d{8}T\d{6}Z)-[A-Za-z0-9._-]+")


def private_directory(path: Path) -> Path:
    """``path`` created if missing (parents too) and made 0700; returned for chaining."""
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIRECTORY_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as a 0600 file: created with that mode (no moment with a wider one,
    whatever the umask) and narrowed to it if it already existed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
        handle.write(text)


def make_private(path: Path) -> None:
    """Narrow a file another program wrote (``etcdctl snapshot save``) to 0600."""
    path.chmod(PRIVATE_FILE_MODE)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoredBackup:
    """One backup in the store, as ``backup list`` shows it."""

    name: str
    kind: str
    """``config`` or ``etcd``."""
    scope: str
    """The namespace a configuration backup holds, ``all``, or ``etcd``."""
    stamp: str
    """When it was taken: the UTC stamp of its name (``20261128T020000Z``)."""
    size: int
    path: Path
    record: Mapping[str, Any]
    """The sidecar record (manifest or snapshot record); empty when missing or unreadable."""

    @property
    def record_path(self) -> Path:
        """Where its sidecar record lives."""
        if self.kind == CONFIG:
            return self.path.with_name(self.path.name.removesuffix(".yaml") + ".manifest.json")
        return self.path.with_name(self.path.name + ".json")

    @property
    def job_id(self) -> str:
        """The id of the job that made it, as recorded ("" for backups made before it was recorded)."""
        return str(self.record.get("job_id", ""))

    def checksum_ok(self) -> bool | None:
        """Whether the file still has its recorded SHA-256; ``None`` when no checksum was recorded."""
        expected = self.record.get("sha256")
        if not expected:
            return None
        return bool(sha256_of(self.path) == expected)

    def to_json(self) -> dict[str, Any]:
        """The JSON form returned in job results."""
        return {
            "name": self.name,
            "kind": self.kind,
            "scope": self.scope,
            "stamp": self.stamp,
            "size": self.size,
            "checksum_ok": self.checksum_ok(),
        }


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def object_digest(document: Mapping[str, Any]) -> str:
    """The digest a manifest records for one object (its YAML with sorted keys)."""
    return hashlib.sha256(yaml.safe_dump(dict(document), sort_keys=True).encode()).hexdigest()


def object_key(document: Mapping[str, Any]) -> str:
    """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped objects): how manifests name objects."""
    meta = document.get("metadata") or {}
    namespace = meta.get("namespace")
    return (
        f"{document['kind']}/{namespace}/{meta['name']}"
        if namespace
        else f"{document['kind']}/{meta['name']}"
    )


def _read_record(path: Path) -> Mapping[str, Any]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _entry(path: Path, kind: str) -> StoredBackup | None:
    match = _BACKUP_NAME.match(path.name)
    if match is None or match.group(1) != kind:
        return None
    stamp = match.group(2)
    if kind == CONFIG:
        record = _read_record(path.with_name(path.name.removesuffix(".yaml") + ".manifest.json"))
        scope = str(
            record.get("scope") or "unknown"
        )  # names end in the scope, but namespaces have dashes too
    else:
        record = _read_record(path.with_name(path.name + ".json"))
        scope = ETCD
    return StoredBackup(
        name=path.name,
        kind=kind,
        scope=scope,
        stamp=stamp,
        size=path.stat().st_size,
        path=path,
        record=record,
    )


def list_backups(store: Path) -> list[StoredBackup]:
    """Every configuration backup and etcd snapshot in the store, newest first."""
    found: list[StoredBackup] = []
    for kind, pattern in ((CONFIG, "config-*.yaml"), (ETCD, "etcd-*.db")):
        directory = store / kind
        if not directory.is_dir():
            continue
        for path in directory.glob(pattern):
            entry = _entry(path, kind) if path.is_file() else None
            if entry is not None:
                found.append(entry)
    return sorted(found, key=lambda entry: (entry.stamp, entry.name), reverse=True)


def find_backup(store: Path, name: str) -> StoredBackup:
    """The backup called ``name`` (its suffix may be left out); :class:`NotFound` if there is none."""
    for entry in list_backups(store):
        if name in {entry.name, entry.name.removesuffix(".yaml"), entry.name.removesuffix(".db")}:
            return entry
    raise NotFound(wording.backup_not_found(name))


def load_documents(entry: StoredBackup) -> list[dict[str, Any]]:
    """The objects of a configuration backup, in the file's (apply) order."""
    if entry.kind != CONFIG:
        raise JobError(wording.not_a_config_backup(entry.name))
    try:
        return [doc for doc in yaml.safe_load_all(entry.path.read_text()) if isinstance(doc, dict)]
    except yaml.YAMLError as error:
        raise JobError(wording.backup_unreadable(entry.name)) from error


@dataclasses.dataclass(frozen=True, kw_only=True)
class Verification:
    """What ``backup show`` found when it checked a configuration backup against its manifest."""

    counts: dict[str, int]
    """Objects in the file, by kind, in apply order."""
    file_ok: bool | None
    verified: int
    """Objects whose digest matches the manifest."""
    mismatched: tuple[str, ...]
    """Objects whose digest differs, or that the manifest does not list."""
    missing: tuple[str, ...]
    """Objects the manifest lists that the file no longer holds."""

    @property
    def ok(self) -> bool:
        """Whether every checksum held."""
        return self.file_ok is not False and not self.mismatched and not self.missing


def verify(entry: StoredBackup) -> Verification:
    """Check a configuration backup: the whole file's SHA-256 and each object's digest."""
    documents = load_documents(entry)
    recorded = entry.record.get("objects") or {}
    counts: dict[str, int] = {}
    verified, mismatched, seen = 0, [], set()
    for document in documents:
        key = object_key(document)
        seen.add(key)
        counts[document["kind"]] = counts.get(document["kind"], 0) + 1
        if recorded.get(key) == object_digest(document):
            verified += 1
        else:
            mismatched.append(key)
    missing = tuple(sorted(key for key in recorded if key not in seen))
    return Verification(
        counts=counts,
        file_ok=entry.checksum_ok(),
        verified=verified,
        mismatched=tuple(mismatched),
        missing=missing,
    )


def delete(entry: StoredBackup) -> None:
    """Remove a backup and its record."""
    entry.path.unlink(missing_ok=True)
    entry.record_path.unlink(missing_ok=True)


def prune(store: Path, *, job_id_pattern: re.Pattern[str], keep: int) -> list[str]:
    """Delete the oldest backups whose job id matches ``job_id_pattern`` beyond the newest ``keep``.

    Returns the names deleted, oldest last. Backups of other jobs (by hand, other schedules) stay.
    """
    ours = [entry for entry in list_backups(store) if job_id_pattern.fullmatch(entry.job_id)]
    doomed = ours[max(keep, 0) :]
    for entry in doomed:
        delete(entry)
    return [entry.name for entry in doomed]
