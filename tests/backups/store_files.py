"""Writing backups into a store by hand, as the backup jobs lay them out, for tests of listing and
retention that need chosen times and job ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from workers.backup_store import object_digest, object_key, sha256_of


def write_config_backup(
    store: Path,
    *,
    stamp: str,
    job_id: str,
    scope: str = "default",
    documents: list[dict[str, Any]] | None = None,
) -> Path:
    """A configuration backup taken at ``stamp`` by ``job_id``, with its manifest."""
    docs = (
        documents
        if documents is not None
        else [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": scope},
                "data": {"mode": "fast"},
            }
        ]
    )
    directory = store / "config"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"config-{stamp}-{job_id}-{scope}.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    manifest = {
        "name": path.name,
        "job_id": job_id,
        "scope": scope,
        "sha256": sha256_of(path),
        "objects": {object_key(doc): object_digest(doc) for doc in docs},
    }
    path.with_name(path.name.removesuffix(".yaml") + ".manifest.json").write_text(json.dumps(manifest))
    return path


def write_snapshot(store: Path, *, stamp: str, job_id: str, content: bytes = b"not really etcd") -> Path:
    """An etcd snapshot file taken at ``stamp`` by ``job_id``, with its record."""
    directory = store / "etcd"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"etcd-{stamp}-{job_id}.db"
    path.write_bytes(content)
    record = {
        "name": path.name,
        "job_id": job_id,
        "sha256": sha256_of(path),
        "status": {"revision": 7, "total_keys": 3},
    }
    path.with_name(path.name + ".json").write_text(json.dumps(record))
    return path
