"""Sentences about etcd: settings, TLS and connection failures, snapshots, checks and restores.

Failures name the worker setting to fix (``CHATOPS_ETCD_CERT``...) and never a certificate's or key's
content. Where etcd has a well-known wording (``Snapshot saved at``) we keep close to it.
"""

from __future__ import annotations

from shared.text import human_size
from shared.text_safety import code, escape

# --- etcd: settings and tools --------------------------------------------------------------------


def setting_missing(setting: str) -> str:
    """A worker setting etcd work needs is not set."""
    return f"The worker has no {code(setting)} setting, which etcd snapshots need. Set it and restart the worker."


def credential_unreadable(setting: str) -> str:
    """A certificate or key file named by a setting cannot be read (the path and content stay unsaid)."""
    return (
        f"The worker cannot read the file {code(setting)} points to. "
        "Check that it exists and that the worker's user may read it."
    )


def tool_missing(tool: str, *, setting: str) -> str:
    """etcdctl or etcdutl is not installed where the worker looks."""
    return f"The worker cannot find {code(tool)}. Install it, or set {code(setting)} to its path."


def one_endpoint_only(count: int) -> str:
    """etcdctl's rule: a snapshot is taken from exactly one member."""
    return (
        f"`CHATOPS_ETCD_ENDPOINT` lists {count} endpoints, but a snapshot must be requested from one "
        "selected member, not several. Set it to one endpoint."
    )


def etcd_timed_out(*, seconds: float) -> str:
    """etcdctl/etcdutl ran past the worker's limit and was stopped."""
    return f"etcd did not finish within {seconds:g} seconds; the command was stopped and nothing was kept."


# --- etcd: why a snapshot failed ------------------------------------------------------------------


def client_certificate_rejected(endpoint: str) -> str:
    """The member refused our client certificate during the TLS handshake."""
    return (
        f"etcd at {code(endpoint)} rejected the worker's client certificate (tls: bad certificate). "
        "Check that `CHATOPS_ETCD_CERT` and `CHATOPS_ETCD_KEY` are a pair signed by the CA etcd trusts "
        "(`--trusted-ca-file`)."
    )


def server_certificate_untrusted(endpoint: str) -> str:
    """Our CA file does not vouch for the member's certificate."""
    return (
        f"The worker does not trust the certificate of etcd at {code(endpoint)} "
        "(signed by an unknown authority). Check that `CHATOPS_ETCD_CACERT` is etcd's CA."
    )


def server_name_mismatch(endpoint: str) -> str:
    """The member's certificate does not name the address we dialled."""
    return (
        f"The certificate of etcd at {code(endpoint)} is not valid for that address. "
        "Use an endpoint the certificate names (often https://127.0.0.1:2379 on the control-plane node)."
    )


def certificate_expired(endpoint: str) -> str:
    """A certificate in the handshake is outside its validity period."""
    return (
        f"A certificate used with etcd at {code(endpoint)} has expired or is not valid yet. "
        "Renew it (kubeadm: `kubeadm certs renew`) and retry."
    )


def client_key_unusable() -> str:
    """The key file is not PEM or does not belong to the certificate."""
    return "The worker's client key does not match its certificate, or is not a PEM key. Check `CHATOPS_ETCD_KEY`."


def etcd_unreachable(endpoint: str) -> str:
    """Nothing answered at the endpoint in time."""
    return (
        f"etcd at {code(endpoint)} did not answer (connection refused or timed out). "
        "Check `CHATOPS_ETCD_ENDPOINT` and that etcd is running."
    )


def etcd_failed(command: str, detail: str) -> str:
    """Any other etcdctl/etcdutl failure, with its closing error line."""
    return f"{code(command)} failed: {escape(detail)}"


# --- etcd: snapshots ------------------------------------------------------------------------------


def snapshot_exists(name: str) -> str:
    """A snapshot of that name is already stored (never overwritten)."""
    return f"A snapshot named {code(name)} already exists; snapshots are never overwritten."


def snapshot_not_found(name: str) -> str:
    """No stored snapshot has that name."""
    return f"There is no snapshot named {code(name)} in the backup store."


def snapshot_unreadable(name: str, detail: str) -> str:
    """etcdutl could not read a snapshot file (truncated, corrupt, not a snapshot)."""
    return f"Snapshot {code(name)} cannot be read as an etcd snapshot: {escape(detail)}"


def snapshot_checksum_mismatch(name: str) -> str:
    """The file changed since it was saved: its checksum differs from the recorded one."""
    return f"Snapshot {code(name)} changed since it was saved (its SHA-256 differs from the recorded one); do not restore it."


def would_save_snapshot(*, endpoint: str, name: str) -> str:
    """Dry run of ``etcd snapshot``."""
    return f"Would save an etcd snapshot from {code(endpoint)} as {code(name)}."


def snapshot_saved(name: str) -> str:
    """etcdctl's ``Snapshot saved at`` line, with our name for it."""
    return f"Snapshot saved at {code(name)}."


def snapshot_status(name: str, *, hash: int, revision: int, total_keys: int, total_size: int) -> str:
    """``etcdutl snapshot status`` in one line."""
    return (
        f"Snapshot {code(name)}: hash {hash}, revision {revision}, {total_keys} keys, "
        f"{human_size(total_size)} ({total_size} bytes)."
    )


# --- etcd: restore --------------------------------------------------------------------------------


def data_dir_exists(path: str) -> str:
    """A restore target that already exists is refused (never restore over data)."""
    return (
        f"The data directory {code(path)} already exists. A restore only writes into a new, empty "
        "directory, so the restored member cannot mix with old data; nothing was changed."
    )


def would_restore(*, name: str, data_dir: str, member: str, token: str) -> str:
    """Dry run of ``etcd restore``."""
    return (
        f"Would restore snapshot {code(name)} into the new data directory {code(data_dir)} "
        f"as member {code(member)} of a new cluster (token {code(token)})."
    )


def restored(*, name: str, data_dir: str, member: str, token: str) -> str:
    """The snapshot is restored into a fresh data directory."""
    return (
        f"Restored snapshot {code(name)} into {code(data_dir)} as member {code(member)} "
        f"of a new cluster (token {code(token)})."
    )


def restore_next_steps(*, data_dir: str, member: str, initial_cluster: str, token: str) -> str:
    """What an operator still has to do on the control-plane node(s) after a restore."""
    return "\n".join(
        [
            "Remaining steps, on the control-plane node(s), in this order:",
            "1. Stop every kube-apiserver (kubeadm: move `kube-apiserver.yaml` out of /etc/kubernetes/manifests).",
            f"2. Point etcd at {code(data_dir)} (kubeadm: the `etcd-data` hostPath in `etcd.yaml`), with "
            f"`--name={member}`, `--initial-cluster={initial_cluster}`, `--initial-cluster-token={token}`.",
            "3. Start etcd and check it: `etcdctl endpoint health`.",
            "4. Start the kube-apiservers, then kube-scheduler and kube-controller-manager, then restart the kubelets.",
            "Every member of a multi-member etcd must be restored from this same snapshot.",
        ]
    )
