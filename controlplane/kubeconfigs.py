"""Kubeconfig files for the control plane's clients: self-contained (certificates inlined), one user each."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from controlplane.pki import Pair

CONTEXT = "chatops-control-plane"


def _inline(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca: Path,
    user: str,
    client: Pair | None = None,
    token: str | None = None,
) -> Path:
    """Write a kubeconfig for ``user`` authenticating with a client certificate or a bearer token."""
    credentials: dict[str, Any]
    if client is not None:
        credentials = {
            "client-certificate-data": _inline(client.cert),
            "client-key-data": _inline(client.key),
        }
    elif token is not None:
        credentials = {"token": token}
    else:
        raise ValueError("a kubeconfig needs a client certificate or a token")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": CONTEXT, "cluster": {"server": server, "certificate-authority-data": _inline(ca)}}
        ],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": user}}],
        "current-context": CONTEXT,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
