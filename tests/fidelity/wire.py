"""Raw HTTP to an API server as a kubeconfig describes it (TLS client certificate or bearer token), so
the fidelity suite sees exactly the bytes each server answers, not a client's reading of them."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import ssl
import tempfile
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
        self._context: ssl.SSLContext | None = None
        if self.server.startswith("https://"):
            self._context = ssl.create_default_context()
            if "certificate-authority-data" in cluster:
                self._context.load_verify_locations(
                    self._write("ca.crt", cluster["certificate-authority-data"])
                )
            if "client-certificate-data" in user:
                self._context.load_cert_chain(
                    self._write("client.crt", user["client-certificate-data"]),
                    self._write("client.key", user["client-key-data"]),
                )

    def _write(self, name: str, data: str) -> str:
        path = Path(self._files.name) / name
        path.write_bytes(base64.b64decode(data))
        return str(path)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request; the body is sent as JSON (or as given when it is a string)."""
        headers = {**self._headers, **(headers or {})}
        payload = None
        if body is not None:
            payload = body if isinstance(body, str) else json.dumps(body)
            headers["Content-Type"] = content_type
        address = urllib.parse.urlsplit(self.server)
        connection: http.client.HTTPConnection
        if self._context is not None:
            connection = http.client.HTTPSConnection(address.netloc, timeout=30.0, context=self._context)
        else:
            connection = http.client.HTTPConnection(address.netloc, timeout=30.0)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            kind = response.getheader("Content-Type", "") or ""
            text = response.read().decode()
            status = response.status
        finally:
            connection.close()
        decoded: Any = text
        if "json" in kind:
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = text
        return Answer(status, kind.split(";")[0], decoded)

    def close(self) -> None:
        self._files.cleanup()
