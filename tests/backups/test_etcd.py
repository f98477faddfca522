"""etcd snapshots against a real etcd serving TLS with client certificates: save, check, restore, refuse."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.jobevents import EventKind
from tests.backups.etcd_server import RunningEtcd, etcd_binary, running_etcd
from tests.backups.pki import Pki, make_pki
from tests.backups.running import run_job
from tests.support.ports import free_port
from workers import etcd

KEYS = {
    "/registry/configmaps/default/app": "colour=blue",
    "/registry/secrets/default/token": "s3cr3t",
    "/a": "1",
}


@pytest.fixture(scope="module", name="pki")
def fixture_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, server and client certificates (and a rogue CA) for this module's etcd."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module", name="member")
def fixture_member(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEtcd]:
    """A real etcd with client-certificate auth, holding KEYS."""
    with running_etcd(pki, data_dir=tmp_path_factory.mktemp("etcd") / "data") as member:
        for key, value in KEYS.items():
            member.ctl("put", key, value)
        yield member


def settings_for(member: RunningEtcd, backup_dir: Path, **changes: object) -> etcd.EtcdSettings:
    """Worker settings that reach ``member`` with the good client certificate, unless changed."""
    settings = etcd.EtcdSettings(
        endpoint=member.endpoint,
        cacert=member.pki.ca.cert,
        cert=member.pki.client.cert,
        key=member.pki.client.key,
        backup_dir=backup_dir,
        etcdctl=str(etcd_binary("etcdctl")),
        etcdutl=str(etcd_binary("etcdutl")),
        timeout=6.0,
    )
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _reset_settings() -> Iterator[None]:
    yield
    etcd.configure(etcd.EtcdSettings())


def test_a_snapshot_is_saved_under_the_job_id_and_checked(member: RunningEtcd, tmp_path: Path) -> None:
    """etcd snapshot saves a file named by the job id, records its checksum and reports hash, revision, keys and size."""
    etcd.configure(settings_for(member, tmp_path))

    outcome = run_job("etcd_snapshot", job_id="job-snap1")

    assert outcome.succeeded, outcome.failure
    name = outcome.result["snapshot"]
    assert name.startswith("etcd-") and name.endswith("-job-snap1.db")
    assert (tmp_path / "etcd" / name).is_file()
    status = outcome.result["status"]
    assert status["revision"] >= len(KEYS) + 1
    assert status["total_keys"] >= len(KEYS)
    # the file is the bolt database followed by the 32-byte SHA-256 etcd appends to snapshots
    assert status["total_size"] == (tmp_path / "etcd" / name).stat().st_size - 32
    record = json.loads((tmp_path / "etcd" / f"{name}.json").read_text())
    assert record["sha256"] == outcome.result["sha256"]
    assert any(text.startswith(f"Snapshot saved at `{name}`") for text in outcome.texts(EventKind.PROGRESS))
    assert not list((tmp_path / "etcd").glob("*.part"))


def test_a_snapshot_and_its_record_are_readable_by_the_worker_alone(
    member: RunningEtcd, tmp_path: Path
) -> None:
    """The snapshot holds every Secret of the cluster: 0600, as are its record and 0700 its directory."""
    etcd.configure(settings_for(member, tmp_path))
    previous = os.umask(0o022)
    try:
        outcome = run_job("etcd_snapshot", job_id="job-snapmodes")
    finally:
        os.umask(previous)

    assert outcome.succeeded, outcome.failure
    snapshot = tmp_path / "etcd" / outcome.result["snapshot"]
    modes = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in (snapshot.parent, snapshot)}
    modes[snapshot.name + ".json"] = oct(
        stat.S_IMODE((snapshot.parent / (snapshot.name + ".json")).stat().st_mode)
    )
    assert modes == {"etcd": "0o700", snapshot.name: "0o600", snapshot.name + ".json": "0o600"}


def test_etcd_status_reports_the_same_numbers_as_at_saving(member: RunningEtcd, tmp_path: Path) -> None:
    """etcd status NAME re-reads the stored snapshot and finds what was recorded when it was saved."""
    etcd.configure(settings_for(member, tmp_path))
    saved = run_job("etcd_snapshot", job_id="job-snap2")

    checked = run_job("etcd_status", job_id="job-stat2", snapshot=saved.result["snapshot"])

    assert checked.succeeded, checked.failure
    assert checked.result["status"] == saved.result["status"]
    assert f"hash {saved.result['status']['hash']}" in checked.texts(EventKind.PROGRESS)[0]


def test_a_snapshot_changed_after_saving_is_refused(member: RunningEtcd, tmp_path: Path) -> None:
    """A snapshot whose bytes no longer match the recorded SHA-256 is reported as changed, not checked."""
    etcd.configure(settings_for(member, tmp_path))
    name = run_job("etcd_snapshot", job_id="job-snap3").result["snapshot"]
    with (tmp_path / "etcd" / name).open("ab") as handle:
        handle.write(b"tampered")

    outcome = run_job("etcd_status", job_id="job-stat3", snapshot=name)

    assert not outcome.succeeded
    assert "changed since it was saved" in outcome.failure


def test_a_restored_snapshot_serves_the_same_keys_from_a_new_etcd(
    member: RunningEtcd, pki: Pki, tmp_path: Path
) -> None:
    """etcd restore writes a new data directory as a new member; an etcd started on it serves every key."""
    etcd.configure(settings_for(member, tmp_path, peer_url=f"http://127.0.0.1:{free_port()}"))
    name = run_job("etcd_snapshot", job_id="job-snap4").result["snapshot"]

    restored = run_job("etcd_restore", job_id="job-rest4", snapshot=name.removesuffix(".db"))

    assert restored.succeeded, restored.failure
    data_dir = Path(restored.result["data_dir"])
    assert data_dir.parent == tmp_path / "restores" and (data_dir / "member").is_dir()
    assert restored.result["name"] == "restore-job-rest4"
    assert any("Stop every kube-apiserver" in text for text in restored.texts(EventKind.WARNING))
    with running_etcd(
        pki,
        data_dir=data_dir,
        name=restored.result["name"],
        peer_url=restored.result["peer_url"],
        initial_cluster_token=restored.result["initial_cluster_token"],
    ) as new_member:
        assert {key: new_member.get(key) for key in KEYS} == KEYS


def test_restore_refuses_a_data_directory_that_exists(member: RunningEtcd, tmp_path: Path) -> None:
    """Restoring into an existing directory, even an empty one, is refused and leaves it untouched."""
    settings = settings_for(member, tmp_path)
    snapshot = etcd.save_snapshot(settings, destination=tmp_path / "etcd" / "manual.db")
    existing = tmp_path / "var-lib-etcd"
    existing.mkdir()

    with pytest.raises(etcd.EtcdError, match="already exists") as raised:
        etcd.restore_snapshot(settings, snapshot, data_dir=existing, name="m", token="t")

    assert "nothing was changed" in str(raised.value)
    assert list(existing.iterdir()) == []


def test_the_restore_job_refuses_when_its_directory_exists(member: RunningEtcd, tmp_path: Path) -> None:
    """The job checks its target before restoring: an existing directory fails it with that reason."""
    etcd.configure(settings_for(member, tmp_path))
    name = run_job("etcd_snapshot", job_id="job-snap6").result["snapshot"]
    (tmp_path / "restores" / f"{name.removesuffix('.db')}-job-rest6").mkdir(parents=True)

    outcome = run_job("etcd_restore", job_id="job-rest6", snapshot=name)

    assert not outcome.succeeded
    assert "already exists" in outcome.failure


def test_a_client_certificate_from_another_ca_gives_a_clear_error(
    member: RunningEtcd, pki: Pki, tmp_path: Path
) -> None:
    """A client certificate etcd does not trust fails the job with a sentence naming the settings, no file kept."""
    etcd.configure(settings_for(member, tmp_path, cert=pki.rogue_client.cert, key=pki.rogue_client.key))

    outcome = run_job("etcd_snapshot", job_id="job-bad1")

    assert not outcome.succeeded
    assert "rejected the worker's client certificate" in outcome.failure
    assert "CHATOPS_ETCD_CERT" in outcome.failure
    assert "unexpected error" not in outcome.failure
    assert list((tmp_path / "etcd").iterdir()) == []


def test_a_server_certificate_outside_the_configured_ca_gives_a_clear_error(
    member: RunningEtcd, pki: Pki, tmp_path: Path
) -> None:
    """When the configured CA did not sign etcd's certificate, the job says the server is not trusted."""
    etcd.configure(settings_for(member, tmp_path, cacert=pki.rogue_ca.cert))

    outcome = run_job("etcd_snapshot", job_id="job-bad2")

    assert not outcome.succeeded
    assert "does not trust the certificate of etcd" in outcome.failure


def test_a_missing_key_file_is_named_by_its_setting_not_its_path(member: RunningEtcd, tmp_path: Path) -> None:
    """An unreadable key fails before etcdctl runs, naming the setting and not the file's path."""
    missing = tmp_path / "nowhere" / "client.key"
    etcd.configure(settings_for(member, tmp_path, key=missing))

    outcome = run_job("etcd_snapshot", job_id="job-bad3")

    assert "CHATOPS_ETCD_KEY" in outcome.failure
    assert str(missing) not in outcome.failure


def test_a_snapshot_is_taken_from_exactly_one_endpoint(member: RunningEtcd, tmp_path: Path) -> None:
    """Two endpoints are refused the way etcdctl refuses them: a snapshot comes from one member."""
    etcd.configure(settings_for(member, tmp_path, endpoint=f"{member.endpoint},{member.endpoint}"))

    outcome = run_job("etcd_snapshot", job_id="job-bad4")

    assert "one selected member, not several" in outcome.failure


def test_status_of_an_unknown_snapshot_says_it_is_not_in_the_store(tmp_path: Path) -> None:
    """etcd status of a name with no file behind it fails with a not-found sentence."""
    etcd.configure(etcd.EtcdSettings(backup_dir=tmp_path, etcdutl=str(etcd_binary("etcdutl"))))

    outcome = run_job("etcd_status", job_id="job-none", snapshot="etcd-nothing.db")

    assert "no snapshot named `etcd-nothing.db`" in outcome.failure


def test_settings_are_read_from_the_environment_once() -> None:
    """EtcdSettings.from_env reads the CHATOPS_ETCD_* variables and the backup directory, defaults otherwise."""
    settings = etcd.EtcdSettings.from_env(
        {
            "CHATOPS_ETCD_ENDPOINT": " https://10.0.0.1:2379 ",
            "CHATOPS_ETCD_CACERT": "/etc/kubernetes/pki/etcd/ca.crt",
            "CHATOPS_ETCD_CERT": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "CHATOPS_ETCD_KEY": "/etc/kubernetes/pki/apiserver-etcd-client.key",
            "CHATOPS_BACKUP_DIR": "/var/backups/chatops",
            "CHATOPS_ETCD_TIMEOUT": "not a number",
            "CHATOPS_ETCD_RESTORE_COMMAND": "/usr/local/bin/swap-etcd --dir '{data_dir}' --name {member}",
            "CHATOPS_ETCD_RESTORE_TIMEOUT": "600",
        }
    )

    assert settings.endpoint == "https://10.0.0.1:2379"
    assert settings.cacert == Path("/etc/kubernetes/pki/etcd/ca.crt")
    assert settings.snapshot_dir == Path("/var/backups/chatops/etcd")
    assert settings.timeout == etcd.DEFAULT_TIMEOUT_SECONDS
    assert settings.restore_command == (
        "/usr/local/bin/swap-etcd",
        "--dir",
        "{data_dir}",
        "--name",
        "{member}",
    )
    assert settings.restore_timeout == 600.0
    assert etcd.EtcdSettings.from_env({}) == etcd.EtcdSettings()


HOOK_SCRIPT = """
import json, os, sys
record = {"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items() if k.startswith("CHATOPS_ETCD_")}}
open(os.environ["HOOK_RECORD"], "w").write(json.dumps(record))
if os.environ.get("HOOK_FAIL"):
    print("kube-apiserver on cp-1 is still running", file=sys.stderr)
    sys.exit(4)
"""


def restore_hook(tmp_path: Path) -> tuple[str, ...]:
    """A restore hook command: a script recording what it was given (and failing when told to)."""
    script = tmp_path / "restore-hook.py"
    script.write_text(HOOK_SCRIPT)
    return (sys.executable, str(script), "--data-dir={data_dir}", "--name={member}")


def test_a_configured_restore_hook_does_the_remaining_steps_with_the_restored_member(
    member: RunningEtcd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CHATOPS_ETCD_RESTORE_COMMAND runs after the restore with the directory, member and token; no steps are left."""
    monkeypatch.setenv("HOOK_RECORD", str(tmp_path / "hook.json"))
    etcd.configure(
        settings_for(member, tmp_path, restore_command=restore_hook(tmp_path), restore_timeout=30.0)
    )
    name = run_job("etcd_snapshot", job_id="job-snap9").result["snapshot"]

    restored = run_job("etcd_restore", job_id="job-rest9", snapshot=name)

    assert restored.succeeded, restored.failure
    assert restored.result["restore_hook"] == "done"
    record = json.loads((tmp_path / "hook.json").read_text())
    assert record["argv"] == [f"--data-dir={restored.result['data_dir']}", "--name=restore-job-rest9"]
    assert record["env"]["CHATOPS_ETCD_TOKEN"] == restored.result["initial_cluster_token"]
    assert record["env"]["CHATOPS_ETCD_INITIAL_CLUSTER"] == restored.result["initial_cluster"]
    assert not any("Stop every kube-apiserver" in text for text in restored.texts(EventKind.WARNING))
    assert any("restore hook finished" in text for text in restored.texts(EventKind.PROGRESS))


def test_a_failing_restore_hook_fails_the_job_with_its_output_and_leaves_the_steps_to_a_person(
    member: RunningEtcd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 4: the job fails naming the status and the hook's last words; the manual steps are posted."""
    monkeypatch.setenv("HOOK_RECORD", str(tmp_path / "hook.json"))
    monkeypatch.setenv("HOOK_FAIL", "1")
    etcd.configure(
        settings_for(member, tmp_path, restore_command=restore_hook(tmp_path), restore_timeout=30.0)
    )
    name = run_job("etcd_snapshot", job_id="job-snap10").result["snapshot"]

    outcome = run_job("etcd_restore", job_id="job-rest10", snapshot=name)

    assert not outcome.succeeded
    assert "exited with status 4" in outcome.failure
    assert "kube-apiserver on cp-1 is still running" in outcome.failure
    assert any("Stop every kube-apiserver" in text for text in outcome.texts(EventKind.WARNING))


def test_a_restore_command_that_is_not_a_command_line_is_refused_naming_the_setting() -> None:
    """An unbalanced quote stops the worker at start with the variable's name, not at the first restore."""
    with pytest.raises(etcd.EtcdSettingsError, match="CHATOPS_ETCD_RESTORE_COMMAND"):
        etcd.EtcdSettings.from_env({"CHATOPS_ETCD_RESTORE_COMMAND": "swap-etcd --dir '{data_dir}"})
