"""Raw HTTP to an API server as a kubeconfig describes it (TLS client certificate or bearer token), so
the fidelity suite sees exactly the bytes each server answers, not a client's reading of them."""

from __future__ import annotations

import base64
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import urllib3
import yaml


@dataclasses.dataclass(frozen=True)
class Answer:
    """One response: status code, content type and body (JSON decoded when it is JSON)."""

    status: int
    content_type: str
    body: Any


class Wire:
    """Sends requests to the server of a kubeconfig's current context."""

    def __init__(self, kubeconfig: Path) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.server = cluster["server"].rstrip("/")
        self._headers = {"Accept": "application/json"}
        if user.get("token"):
            self._headers["Authorization"] = f"Bearer {user['token']}"
        self._files = tempfile.TemporaryDirectory(prefix="wire-")
        options: dict[str, Any] = {}
        if "certificate-authority-data" in cluster:
            options["ca_certs"] = self._write("ca.crt", cluster["certificate-authority-data"])
            options["cert_reqs"] = "CERT_REQUIRED"
        if "client-certificate-data" in user:
            options["cert_file"] = self._write("client.crt", user["client-certificate-data"])
            options["key_file"] = self._write("client.key", user["client-key-data"])
        self._pool = urllib3.PoolManager(**options)

    def _write(self, name: str, data: str) -> str:
        path = Path(self._files.name) / name
        path.write_bytes(base64.b64decode(data))
        return str(path)

    def request(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> Answer:
        """One request; the body is sent as JSON (or as given when it is a string)."""
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = body if isinstance(body, str) else json.dumps(body)
            headers["Content-Type"] = content_type
        response = self._pool.request(method, self.server + path, body=payload, headers=headers, timeout=30.0)
        kind = response.headers.get("Content-Type", "")
        text = response.data.decode()
        decoded: Any = text
        if "json" in kind:
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = text
        return Answer(response.status, kind.split(";")[0], decoded)

    def close(self) -> None:
        self._pool.clear()
        self._files.cleanup()
