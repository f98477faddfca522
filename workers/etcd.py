"""Driving etcd's own tools: ``etcdctl snapshot save`` against one member, ``etcdutl`` to check and restore.

The worker's entry point reads :class:`EtcdSettings` from the environment once and calls
:func:`configure`; jobs read :func:`settings`. Every failure becomes an :class:`EtcdError` whose
sentence says what to fix (which setting, which side of the TLS handshake), never a traceback, and
never the content of a certificate or key: etcdctl's zap logs on stderr are read for the cause only.

Restores always go into a directory that does not exist yet: a restored member gets a new member and
cluster ID, so pointing it at an old data directory (or letting it join the old cluster) is a mistake
we refuse before etcdutl runs (etcdutl itself only refuses a non-empty one).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.messages import etcd as etcd_wording
from workers.errors import JobError

DEFAULT_TIMEOUT_SECONDS = 120.0
"""How long one snapshot may take (etcdctl's ``--command-timeout``): a large etcd takes a while, and
without a bound a TLS failure can hang the snapshot stream."""

DIAL_TIMEOUT = "5s"
"""etcdctl's connection timeout."""

GRACE_SECONDS = 15.0
"""Extra time a tool gets past its own timeout before the worker stops it."""

DEFAULT_RESTORE_HOOK_SECONDS = 1800.0
"""How long the restore hook (stopping API servers, swapping etcd's data directory, restarting) may take."""

DEFAULT_PEER_URL = "http://127.0.0.1:2380"
"""The peer URL a restored single member advertises when none is configured (etcd's default)."""


class EtcdError(JobError):
    """etcdctl or etcdutl could not do what was asked; the message says why and what to check."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class EtcdSettings:
    """Where etcd is and how to reach it, as the worker was configured (paths, never key material).

    ``endpoint`` is the one member snapshots are taken from; ``backup_dir`` holds snapshots under
    ``etcd/`` and restored data directories under ``restores/``.
    """

    endpoint: str = ""
    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    backup_dir: Path = Path("chatops-backups")
    peer_url: str = DEFAULT_PEER_URL
    etcdctl: str = "etcdctl"
    etcdutl: str = "etcdutl"
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    restore_command: tuple[str, ...] = ()
    """``CHATOPS_ETCD_RESTORE_COMMAND``: run after a restore to do the remaining steps (argv, split like a shell)."""
    restore_timeout: float = DEFAULT_RESTORE_HOOK_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EtcdSettings:
        """Read ``CHATOPS_ETCD_ENDPOINT``, ``_CACERT``, ``_CERT``, ``_KEY``, ``_PEER_URL``, ``_ETCDCTL``,
        ``_ETCDUTL``, ``_TIMEOUT`` (seconds), ``_RESTORE_COMMAND``, ``_RESTORE_TIMEOUT`` and
        ``CHATOPS_BACKUP_DIR`` (unset, blank or invalid: the defaults)."""

        def value(name: str) -> str:
            return environ.get(name, "").strip()

        def path(name: str) -> Path | None:
            return Path(value(name)) if value(name) else None

        return cls(
            endpoint=value("CHATOPS_ETCD_ENDPOINT"),
            cacert=path("CHATOPS_ETCD_CACERT"),
            cert=path("CHATOPS_ETCD_CERT"),
            key=path("CHATOPS_ETCD_KEY"),
            backup_dir=path("CHATOPS_BACKUP_DIR") or cls.backup_dir,
            peer_url=value("CHATOPS_ETCD_PEER_URL") or DEFAULT_PEER_URL,
            etcdctl=value("CHATOPS_ETCDCTL") or cls.etcdctl,
            etcdutl=value("CHATOPS_ETCDUTL") or cls.etcdutl,
            timeout=_seconds(value("CHATOPS_ETCD_TIMEOUT")) or DEFAULT_TIMEOUT_SECONDS,
            restore_command=_command(value("CHATOPS_ETCD_RESTORE_COMMAND")),
            restore_timeout=_seconds(value("CHATOPS_ETCD_RESTORE_TIMEOUT")) or DEFAULT_RESTORE_HOOK_SECONDS,
        )

    @property
    def snapshot_dir(self) -> Path:
        """Where snapshots are kept."""
        return self.backup_dir / "etcd"

    @property
    def restore_dir(self) -> Path:
        """Under which restored data directories are created."""
        return self.backup_dir / "restores"


class EtcdSettingsError(ValueError):
    """An etcd setting the worker cannot use; the message names the variable."""


def _command(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as error:
        raise EtcdSettingsError(
            f"CHATOPS_ETCD_RESTORE_COMMAND is not a valid command line ({error})"
        ) from None


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


@dataclasses.dataclass
class _Configured:
    settings: EtcdSettings = dataclasses.field(default_factory=EtcdSettings)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_configured = _Configured()


def configure(settings: EtcdSettings) -> None:
    """Set this process's etcd settings (called once by the worker's entry point)."""
    with _configured.lock:
        _configured.settings = settings


def settings() -> EtcdSettings:
    """The etcd settings this process was configured with (the defaults if never configured)."""
    with _configured.lock:
        return _configured.settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class SnapshotStatus:
    """What ``etcdutl snapshot status`` says about a snapshot file."""

    hash: int
    revision: int
    total_keys: int
    total_size: int

    def to_json(self) -> dict[str, int]:
        """The JSON form returned in job results."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RestoredMember:
    """The single member a restore created: start etcd with these to serve the restored data."""

    data_dir: Path
    name: str
    initial_cluster_token: str
    peer_url: str

    @property
    def initial_cluster(self) -> str:
        """The ``--initial-cluster`` value naming this member alone."""
        return f"{self.name}={self.peer_url}"


# --- running the tools --------------------------------------------------------------------------


def _tool(name: str, *, setting: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise EtcdError(etcd_wording.tool_missing(name, setting=setting))
    return found


def _run(argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ETCDCTL_API": "3"}
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout + GRACE_SECONDS, env=env, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise EtcdError(etcd_wording.etcd_timed_out(seconds=timeout + GRACE_SECONDS)) from error


_LAST_ERROR = re.compile(r"^Error: (.+)$", re.MULTILINE)


def last_error(stderr: str) -> str:
    """etcdctl/etcdutl's closing ``Error: ...`` line, or the last non-empty line."""
    found = _LAST_ERROR.findall(stderr)
    if found:
        return str(found[-1]).strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def explain_save_failure(stderr: str, *, endpoint: str) -> str:
    """The sentence for a failed ``snapshot save``, read from etcdctl's stderr (zap JSON logs included)."""
    if "tls: bad certificate" in stderr or "certificate required" in stderr:
        return etcd_wording.client_certificate_rejected(endpoint)
    if "certificate signed by unknown authority" in stderr:
        return etcd_wording.server_certificate_untrusted(endpoint)
    if "certificate is valid for" in stderr:
        return etcd_wording.server_name_mismatch(endpoint)
    if "certificate has expired" in stderr or "certificate is not yet valid" in stderr:
        return etcd_wording.certificate_expired(endpoint)
    if "private key does not match public key" in stderr or "failed to find any PEM data" in stderr:
        return etcd_wording.client_key_unusable()
    if "connection refused" in stderr or "no such host" in stderr or "context deadline exceeded" in stderr:
        return etcd_wording.etcd_unreachable(endpoint)
    return etcd_wording.etcd_failed("etcdctl snapshot save", last_error(stderr))


def _check_readable(path: Path | None, *, setting: str) -> Path:
    if path is None:
        raise EtcdError(etcd_wording.setting_missing(setting))
    if not path.is_file() or not os.access(path, os.R_OK):
        raise EtcdError(etcd_wording.credential_unreadable(setting))
    return path


def save_snapshot(config: EtcdSettings, *, destination: Path) -> Path:
    """``etcdctl snapshot save`` from the one configured endpoint into ``destination`` (must not exist)."""
    endpoints = [part for part in config.endpoint.split(",") if part.strip()]
    if not endpoints:
        raise EtcdError(etcd_wording.setting_missing("CHATOPS_ETCD_ENDPOINT"))
    if len(endpoints) > 1:
        raise EtcdError(etcd_wording.one_endpoint_only(len(endpoints)))
    cacert = _check_readable(config.cacert, setting="CHATOPS_ETCD_CACERT")
    cert = _check_readable(config.cert, setting="CHATOPS_ETCD_CERT")
    key = _check_readable(config.key, setting="CHATOPS_ETCD_KEY")
    if destination.exists():
        raise EtcdError(etcd_wording.snapshot_exists(destination.name))
    destination.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        _tool(config.etcdctl, setting="CHATOPS_ETCDCTL"),
        f"--endpoints={endpoints[0].strip()}",
        f"--cacert={cacert}",
        f"--cert={cert}",
        f"--key={key}",
        f"--dial-timeout={DIAL_TIMEOUT}",
        f"--command-timeout={config.timeout:g}s",
        "snapshot",
        "save",
        str(destination),
    ]
    partial = destination.with_name(destination.name + ".part")
    try:
        completed = _run(argv, timeout=config.timeout)
    finally:
        partial.unlink(missing_ok=True)
    if completed.returncode != 0 or not destination.is_file():
        destination.unlink(missing_ok=True)
        raise EtcdError(explain_save_failure(completed.stderr, endpoint=endpoints[0].strip()))
    return destination


def snapshot_status(config: EtcdSettings, snapshot: Path) -> SnapshotStatus:
    """``etcdutl snapshot status --write-out=json``: hash, revision, keys and size of a snapshot file."""
    if not snapshot.is_file():
        raise EtcdError(etcd_wording.snapshot_not_found(snapshot.name))
    argv = [
        _tool(config.etcdutl, setting="CHATOPS_ETCDUTL"),
        "snapshot",
        "status",
        str(snapshot),
        "--write-out=json",
    ]
    completed = _run(argv, timeout=config.timeout)
    if completed.returncode != 0:
        raise EtcdError(etcd_wording.snapshot_unreadable(snapshot.name, last_error(completed.stderr)))
    try:
        data = json.loads(completed.stdout)
        return SnapshotStatus(
            hash=int(data["hash"]),
            revision=int(data["revision"]),
            total_keys=int(data["totalKey"]),
            total_size=int(data["totalSize"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise EtcdError(
            etcd_wording.snapshot_unreadable(snapshot.name, "unexpected status output")
        ) from error


def restore_snapshot(
    config: EtcdSettings, snapshot: Path, *, data_dir: Path, name: str, token: str
) -> RestoredMember:
    """``etcdutl snapshot restore`` into ``data_dir``, which must not exist, as a new one-member cluster."""
    if not snapshot.is_file():
        raise EtcdError(etcd_wording.snapshot_not_found(snapshot.name))
    if data_dir.exists():
        raise EtcdError(etcd_wording.data_dir_exists(str(data_dir)))
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    member = RestoredMember(
        data_dir=data_dir, name=name, initial_cluster_token=token, peer_url=config.peer_url
    )
    argv = [
        _tool(config.etcdutl, setting="CHATOPS_ETCDUTL"),
        "snapshot",
        "restore",
        str(snapshot),
        f"--name={member.name}",
        f"--data-dir={data_dir}",
        f"--initial-cluster={member.initial_cluster}",
        f"--initial-cluster-token={token}",
        f"--initial-advertise-peer-urls={member.peer_url}",
    ]
    try:
        completed = _run(argv, timeout=config.timeout)
    except EtcdError:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    if completed.returncode != 0:
        shutil.rmtree(data_dir, ignore_errors=True)  # it did not exist before: leave nothing half-restored
        raise EtcdError(etcd_wording.etcd_failed("etcdutl snapshot restore", last_error(completed.stderr)))
    return member
