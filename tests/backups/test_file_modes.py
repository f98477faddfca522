"""Backups may hold Secrets with their data: every file the store writes is 0600 and every directory 0700
(readable by the worker's user alone), whatever the worker's umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesim.server import Simulator
from tests.backups.running import run_job
from workers import backup_store, cluster


@pytest.fixture(name="permissive_umask")
def fixture_permissive_umask() -> Iterator[None]:
    """The most common umask (022), which would leave a plain write readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_a_backup_with_secrets_and_its_manifest_are_written_0600_in_a_0700_directory(
    scenario: Simulator, tmp_path: Path
) -> None:
    """backup secrets writes the Secret's data where only the worker's user can read it."""
    cluster.core().create_namespaced_secret(
        "default",
        {"metadata": {"name": "db-password"}, "type": "Opaque", "data": {"password": "aHVudGVyMg=="}},
    )

    outcome = run_job("backup_secrets", job_id="job-modes", namespace="default")

    assert outcome.succeeded, outcome.failure
    directory = tmp_path / "store" / "config"
    backup = directory / outcome.result["backup"]
    manifest = backup.with_name(backup.name.removesuffix(".yaml") + ".manifest.json")
    assert {path.name: oct(mode(path)) for path in (backup, manifest)} == {
        backup.name: "0o600",
        manifest.name: "0o600",
    }
    assert oct(mode(directory)) == "0o700"


@pytest.mark.usefixtures("permissive_umask")
def test_writing_over_a_file_with_a_wider_mode_narrows_it_to_0600(tmp_path: Path) -> None:
    """A file left readable by everyone (an older version, a restore by hand) is narrowed when rewritten."""
    path = tmp_path / "config-20261206T000000Z-job-all.yaml"
    path.write_text("old\n")
    path.chmod(0o644)

    backup_store.write_private(path, "new\n")

    assert (path.read_text(), oct(mode(path))) == ("new\n", "0o600")
