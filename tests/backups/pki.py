"""A throw-away PKI for a test etcd, made with the ``openssl`` command line: a CA, a server certificate
for 127.0.0.1, a client certificate, and a rogue CA with its own client certificate."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclasses.dataclass(frozen=True)
class CertPair:
    """A certificate and its private key, as files."""

    cert: Path
    key: Path


@dataclasses.dataclass(frozen=True)
class Pki:
    """Everything a TLS etcd and its clients need; ``rogue_*`` are signed by a CA etcd does not trust."""

    ca: CertPair
    server: CertPair
    client: CertPair
    rogue_ca: CertPair
    rogue_client: CertPair


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _authority(directory: Path, name: str) -> CertPair:
    pair = CertPair(directory / f"{name}.crt", directory / f"{name}.key")
    _openssl(
        "req", "-x509", *_EC_KEY, "-keyout", str(pair.key), "-out", str(pair.cert),
        "-subj", f"/CN={name}", "-days", "2", cwd=directory,
    )  # fmt: skip
    return pair


def _signed(directory: Path, name: str, *, ca: CertPair, extensions: str) -> CertPair:
    pair = CertPair(directory / f"{name}.crt", directory / f"{name}.key")
    request, extfile = directory / f"{name}.csr", directory / f"{name}.ext"
    extfile.write_text(extensions)
    _openssl(
        "req",
        "-new",
        *_EC_KEY,
        "-keyout",
        str(pair.key),
        "-out",
        str(request),
        "-subj",
        f"/CN={name}",
        cwd=directory,
    )
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca.cert), "-CAkey", str(ca.key), "-CAcreateserial",
        "-out", str(pair.cert), "-days", "2", "-extfile", str(extfile), cwd=directory,
    )  # fmt: skip
    return pair


def make_pki(directory: Path) -> Pki:
    """Write a fresh PKI into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = _authority(directory, "etcd-ca")
    rogue_ca = _authority(directory, "rogue-ca")
    return Pki(
        ca=ca,
        server=_signed(
            directory,
            "etcd-server",
            ca=ca,
            extensions="subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
        ),
        client=_signed(directory, "chatops-client", ca=ca, extensions="extendedKeyUsage=clientAuth\n"),
        rogue_ca=rogue_ca,
        rogue_client=_signed(
            directory, "rogue-client", ca=rogue_ca, extensions="extendedKeyUsage=clientAuth\n"
        ),
    )
