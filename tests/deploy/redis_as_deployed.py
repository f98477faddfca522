"""A real redis-server started from deploy/'s rendered Redis configuration and ACL file, for tests that
check what the manifests promise (who may connect, with which rights) against Redis itself.

The rendered Secrets hold placeholders (``REPLACE-ME-bot-password``); each distinct placeholder becomes
one random password, the same wherever it appears, as an operator fills the templates in. The server
listens on a free loopback port with its own directory; everything else comes from the manifests.
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.deploy.manifests import Obj, config_file, find
from tests.support.ports import free_port

PLACEHOLDER = re.compile(r"REPLACE-ME-[a-z-]+?-password")
CONFIG_MOUNT = "/etc/redis/config"


@dataclasses.dataclass(frozen=True)
class DeployedRedis:
    """The running server, and how to reach it as each rendered Secret says."""

    port: int
    passwords: Mapping[str, str]
    """Placeholder → the password it stands for."""
    directory: Path

    def fill(self, text: str) -> str:
        """``text`` with every placeholder replaced by its password."""
        return PLACEHOLDER.sub(lambda match: self.passwords[match.group(0)], text)

    @property
    def probe_password(self) -> str:
        """The password of the ``chatops-probe`` user."""
        return self.passwords["REPLACE-ME-probe-password"]

    def url(self, rendered_url: str) -> str:
        """A rendered ``REDIS_URL`` with its passwords filled in, pointed at this server."""
        parts = urlsplit(self.fill(rendered_url))
        userinfo, _, _ = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{userinfo}@127.0.0.1:{self.port}"))


def secret_value(objects: list[Obj], name: str, key: str) -> str:
    """One key of a rendered Secret template."""
    return str(find(objects, "Secret", name)["stringData"][key])


@contextlib.contextmanager
def redis_as_deployed(
    objects: list[Obj], directory: Path, *, extra: tuple[str, ...] = ()
) -> Iterator[DeployedRedis]:
    """redis-server with the rendered ``redis.conf`` and ``users.acl`` (placeholders filled in)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    directory.mkdir(parents=True, exist_ok=True)
    acl_text = secret_value(objects, "chatops-redis-acl", "users.acl")
    passwords = {placeholder: secrets.token_hex(16) for placeholder in set(PLACEHOLDER.findall(acl_text))}
    deployed = DeployedRedis(port=free_port(), passwords=passwords, directory=directory)
    (directory / "users.acl").write_text(deployed.fill(acl_text))
    config = config_file(objects, "chatops-redis-config", "redis.conf")
    (directory / "redis.conf").write_text(_relocated(config, directory))
    (directory / "data").mkdir(exist_ok=True)
    command = [
        binary, str(directory / "redis.conf"),
        "--port", str(deployed.port),
        "--bind", "127.0.0.1",
        "--daemonize", "no",
        *extra,
    ]  # fmt: skip
    with (directory / "redis.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(deployed, process)
        yield deployed
    finally:
        process.terminate()
        process.wait(timeout=10)


def _relocated(config: str, directory: Path) -> str:
    """The configuration with its two paths (``dir``, ``aclfile``) moved into the test's directory; Redis
    applies them as it reads the file, so command-line options cannot move them."""
    paths = {"dir": directory / "data", "aclfile": directory / "users.acl"}
    lines = []
    for line in config.splitlines():
        directive = line.split(" ", 1)[0]
        lines.append(f"{directive} {paths[directive]}" if directive in paths else line)
    assert all(any(line.startswith(f"{d} ") for line in config.splitlines()) for d in paths), config
    return "\n".join(lines) + "\n"


def _wait_until_up(deployed: DeployedRedis, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            Redis(
                port=deployed.port,
                username="chatops-probe",
                password=deployed.probe_password,
                socket_timeout=1,
            ).ping()
            return
        except RedisConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (deployed.directory / "redis.log").read_text()
                raise RuntimeError(
                    f"redis-server did not start from deploy/'s configuration:\n{log}"
                ) from None
            time.sleep(0.02)
