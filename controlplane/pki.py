"""The control plane's certificates, made at start: one CA, serving and client certificates, and the
ServiceAccount signing key pair, shaped as kubeadm shapes them.

Every identity the real authorizer sees comes from here: the admin is in ``system:masters``, the
controller-manager and the scheduler are ``system:kube-controller-manager`` and ``system:kube-scheduler``
(whose RBAC bindings kube-apiserver bootstraps), and KWOK, which heartbeats many nodes through one
client, is its own user in ``system:masters``, as a node simulator must be.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=2)
"""Long enough for any test run or demo; short enough that nothing made here is worth keeping."""

SERVER_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
SERVER_ADDRESSES = ("127.0.0.1", "10.96.0.1")
"""What the serving certificates answer to: loopback, and the names and first address of the
``kubernetes`` Service (10.96.0.0/12 is kubeadm's service range)."""


@dataclasses.dataclass(frozen=True)
class Pair:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who a client certificate says its holder is."""

    file_name: str
    user: str
    groups: tuple[str, ...] = ()


ADMIN = Identity("admin", "kubernetes-admin", ("system:masters",))
CONTROLLER_MANAGER = Identity("controller-manager", "system:kube-controller-manager")
SCHEDULER = Identity("scheduler", "system:kube-scheduler")
KWOK = Identity("kwok", "kwok-controller", ("system:masters",))
APISERVER_ETCD_CLIENT = Identity("apiserver-etcd-client", "kube-apiserver-etcd-client")
CLIENTS = (ADMIN, CONTROLLER_MANAGER, SCHEDULER, KWOK, APISERVER_ETCD_CLIENT)


@dataclasses.dataclass(frozen=True)
class Pki:
    """The files of one control plane's PKI."""

    ca: Pair
    apiserver: Pair
    etcd_server: Pair
    clients: dict[str, Pair]
    service_account_key: Path
    service_account_public_key: Path

    def client(self, identity: Identity) -> Pair:
        """The client certificate of one identity."""
        return self.clients[identity.file_name]


def make_pki(directory: Path, *, extra_addresses: tuple[str, ...] = ()) -> Pki:
    """Write a fresh PKI under ``directory`` (private keys readable by the owner only); the serving
    certificates also answer to ``extra_addresses`` (the address the API server listens on)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chatops-control-plane-ca")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca = _write(directory, "ca", ca_cert, ca_key)
    issue = _Issuer(directory, ca_cert, ca_key, extra_addresses)
    service_account_key = ec.generate_private_key(ec.SECP256R1())
    return Pki(
        ca=ca,
        apiserver=issue.server("apiserver", "kube-apiserver"),
        etcd_server=issue.server("etcd-server", "etcd"),
        clients={identity.file_name: issue.client(identity) for identity in CLIENTS},
        service_account_key=_write_key(directory / "sa.key", service_account_key),
        service_account_public_key=_write_public_key(directory / "sa.pub", service_account_key),
    )


class _Issuer:
    def __init__(
        self,
        directory: Path,
        ca_cert: x509.Certificate,
        ca_key: ec.EllipticCurvePrivateKey,
        extra_addresses: tuple[str, ...],
    ) -> None:
        self._directory = directory
        self._addresses = tuple(dict.fromkeys((*SERVER_ADDRESSES, *extra_addresses)))
        self._ca_cert = ca_cert
        self._ca_key = ca_key

    def server(self, file_name: str, common_name: str) -> Pair:
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in self._addresses]
        return self._issue(
            file_name,
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]),
            usages=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            alternative_names=names,
        )

    def client(self, identity: Identity) -> Pair:
        attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in identity.groups]
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, identity.user))
        return self._issue(
            identity.file_name, x509.Name(attributes), usages=[ExtendedKeyUsageOID.CLIENT_AUTH]
        )

    def _issue(
        self,
        file_name: str,
        subject: x509.Name,
        *,
        usages: list[x509.ObjectIdentifier],
        alternative_names: list[x509.GeneralName] | None = None,
    ) -> Pair:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            _builder(subject, self._ca_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        if alternative_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        return _write(self._directory, file_name, builder.sign(self._ca_key, hashes.SHA256()), key)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def _write(directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pair:
    cert_path = directory / f"{name}.crt"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Pair(cert_path, _write_key(directory / f"{name}.key", key))


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def _write_public_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path
