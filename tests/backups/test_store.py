"""backup list and backup show: what the store holds, newest first, and whether its checksums still hold."""

from __future__ import annotations

from pathlib import Path

from kubesim.server import Simulator
from shared.jobevents import EventKind
from tests.backups.running import run_job
from tests.backups.store_files import write_config_backup, write_snapshot


def test_backup_list_shows_config_backups_and_snapshots_newest_first(
    scenario: Simulator, tmp_path: Path
) -> None:
    """Backups of both kinds are listed newest first, with what they hold, their size, time and checksum state."""
    store = tmp_path / "store"
    write_config_backup(store, stamp="20261126T020000Z", job_id="job-a", scope="shop")
    write_snapshot(store, stamp="20261127T020000Z", job_id="job-b")
    made = run_job("backup_config", job_id="job-now", namespace="default")
    assert made.succeeded, made.failure

    outcome = run_job("backup_list", job_id="job-list")

    assert outcome.succeeded, outcome.failure
    rows = outcome.result["backups"]
    assert [row["name"] for row in rows] == [
        made.result["backup"],
        "etcd-20261127T020000Z-job-b.db",
        "config-20261126T020000Z-job-a-shop.yaml",
    ]
    assert [(row["kind"], row["scope"], row["checksum_ok"]) for row in rows] == [
        ("config", "default", True),
        ("etcd", "etcd", True),
        ("config", "shop", True),
    ]
    assert rows[1]["size"] == len(b"not really etcd")
    text = outcome.texts(EventKind.PROGRESS)[0]
    assert "3 backups, newest first" in text
    assert "etcd snapshot, 15 B, 2026-11-27 02:00:00 UTC, checksum ok" in text


def test_a_backup_changed_after_it_was_saved_is_listed_as_a_checksum_mismatch(
    scenario: Simulator, tmp_path: Path
) -> None:
    """Editing a stored snapshot makes backup list flag it."""
    snapshot = write_snapshot(tmp_path / "store", stamp="20261127T020000Z", job_id="job-b")
    snapshot.write_bytes(b"tampered")

    outcome = run_job("backup_list", job_id="job-list")

    assert outcome.result["backups"][0]["checksum_ok"] is False
    assert "CHECKSUM MISMATCH" in outcome.texts(EventKind.PROGRESS)[0]


def test_backup_show_counts_objects_by_kind_and_verifies_each_checksum(scenario: Simulator) -> None:
    """The manifest of a real namespace backup matches every object in the file."""
    made = run_job("backup_config", job_id="job-cfg", namespace="default")

    outcome = run_job("backup_show", job_id="job-show", backup=made.result["backup"])

    assert outcome.succeeded, outcome.failure
    assert outcome.result["counts"] == {
        "Role": 1,
        "RoleBinding": 1,
        "PodDisruptionBudget": 1,
        "Deployment": 2,
        "StatefulSet": 1,
        "Pod": 1,
    }
    assert (outcome.result["verified"], outcome.result["mismatched"], outcome.result["ok"]) == (7, [], True)
    assert "Checksums: 7 of 7 objects match the manifest." in outcome.texts(EventKind.PROGRESS)[0]


def test_backup_show_names_an_object_edited_in_the_file(scenario: Simulator, tmp_path: Path) -> None:
    """An object whose YAML was edited no longer matches its manifest digest, and the file's checksum fails."""
    path = write_config_backup(tmp_path / "store", stamp="20261126T020000Z", job_id="job-a", scope="shop")
    path.write_text(path.read_text().replace("fast", "slow"))

    outcome = run_job("backup_show", job_id="job-show", backup=path.name.removesuffix(".yaml"))

    assert outcome.result["mismatched"] == ["ConfigMap/shop/settings"]
    assert outcome.result["ok"] is False
    assert outcome.result["backup"]["checksum_ok"] is False


def test_backup_show_of_an_unknown_name_says_there_is_none(scenario: Simulator) -> None:
    """A name the store does not hold fails with a sentence pointing at backup list."""
    outcome = run_job("backup_show", job_id="job-show", backup="config-nothing.yaml")

    assert not outcome.succeeded
    assert "There is no backup named `config-nothing.yaml`" in outcome.failure
