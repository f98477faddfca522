"""A real redis-server started as deploy/'s rendered StatefulSet starts it (its command, its mounted
configuration files, its ACL file), for tests that check what the manifests promise against Redis itself.

The rendered Secrets hold placeholders (``REPLACE-ME-bot-password``); each distinct placeholder becomes
one random password, the same wherever it appears, as an operator fills the templates in. The paths the
files name (data directory, ACL file, TLS certificate files) move into the test's directory, and the
server listens on a free loopback port; everything else comes from the manifests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.backups.pki import Pki
from tests.deploy.manifests import Obj, config_file, find
from tests.support.ports import free_port

PLACEHOLDER = re.compile(r"REPLACE-ME-[a-z-]+?-password")
CONFIG_MOUNT = PurePosixPath("/etc/redis/config")


@dataclasses.dataclass(frozen=True)
class DeployedRedis:
    """The running server, and how to reach it as each rendered Secret says."""

    port: int
    passwords: Mapping[str, str]
    """Placeholder → the password it stands for."""
    directory: Path
    ca: Path | None
    """The CA that signed the server's certificate, when it serves TLS."""

    @property
    def probe_password(self) -> str:
        """The password of the ``chatops-probe`` user."""
        return self.passwords["REPLACE-ME-probe-password"]

    def fill(self, text: str) -> str:
        """``text`` with every placeholder replaced by its password."""
        return PLACEHOLDER.sub(lambda match: self.passwords[match.group(0)], text)

    def url(self, rendered_url: str) -> str:
        """A rendered ``REDIS_URL`` with its passwords filled in, pointed at this server (and at the
        test's CA file where it names one)."""
        parts = urlsplit(self.fill(rendered_url))
        userinfo, _, _ = parts.netloc.rpartition("@")
        query = [
            (key, str(self.ca) if key == "ssl_ca_certs" and self.ca else value)
            for key, value in parse_qsl(parts.query)
        ]
        return urlunsplit(parts._replace(netloc=f"{userinfo}@127.0.0.1:{self.port}", query=urlencode(query)))

    def client(self, *, username: str, password: str) -> Redis:
        """A client of this server as one user (TLS verified against its CA when it serves TLS)."""
        if self.ca is None:
            return Redis(port=self.port, socket_timeout=2, username=username, password=password)
        return Redis(
            port=self.port,
            socket_timeout=2,
            username=username,
            password=password,
            ssl=True,
            ssl_ca_certs=str(self.ca),
        )


def secret_value(objects: list[Obj], name: str, key: str) -> str:
    """One key of a rendered Secret template."""
    return str(find(objects, "Secret", name)["stringData"][key])


@contextlib.contextmanager
def redis_as_deployed(
    objects: list[Obj], directory: Path, *, pki: Pki | None = None
) -> Iterator[DeployedRedis]:
    """redis-server run with the StatefulSet's command, its configuration files and the ACL file
    (placeholders filled in); ``pki`` provides the certificate files when the configuration names them."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    acl_text = secret_value(objects, "chatops-redis-acl", "users.acl")
    passwords = {placeholder: secrets.token_hex(16) for placeholder in set(PLACEHOLDER.findall(acl_text))}
    tls = _tls_paths(directory, pki)
    ca = tls["tls-ca-cert-file"] if pki else None
    deployed = DeployedRedis(port=free_port(), passwords=passwords, directory=directory, ca=ca)
    (directory / "users.acl").write_text(deployed.fill(acl_text))
    paths = {"dir": directory / "data", "aclfile": directory / "users.acl", **tls}
    [container] = find(objects, "StatefulSet", "chatops-redis")["spec"]["template"]["spec"]["containers"]
    command = [binary]
    for argument in container["command"][1:]:
        mounted = PurePosixPath(argument)
        if mounted.parent == CONFIG_MOUNT:
            local = directory / mounted.name
            local.write_text(_relocated(config_file(objects, "chatops-redis-config", mounted.name), paths))
            command.append(str(local))
        else:
            command.append(argument)
    listen = "--tls-port" if pki else "--port"
    command += [listen, str(deployed.port), "--bind", "127.0.0.1", "--daemonize", "no"]
    with (directory / "redis.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(deployed, process)
        yield deployed
    finally:
        process.terminate()
        process.wait(timeout=10)


def _tls_paths(directory: Path, pki: Pki | None) -> dict[str, Path]:
    if pki is None:
        return {}
    return {"tls-cert-file": pki.server.cert, "tls-key-file": pki.server.key, "tls-ca-cert-file": pki.ca.cert}


def _relocated(config: str, paths: Mapping[str, Path]) -> str:
    """A configuration file with the paths it names moved into the test's directory; Redis applies them
    as it reads the file, so command-line options cannot move them."""
    lines = []
    for line in config.splitlines():
        directive = line.split(" ", 1)[0]
        lines.append(f"{directive} {paths[directive]}" if directive in paths else line)
    return "\n".join(lines) + "\n"


def _wait_until_up(deployed: DeployedRedis, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            deployed.client(username="chatops-probe", password=deployed.probe_password).ping()
            return
        except RedisConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (deployed.directory / "redis.log").read_text()
                raise RuntimeError(
                    f"redis-server did not start from deploy/'s configuration:\n{log}"
                ) from None
            time.sleep(0.02)
