"""TLS to Redis wherever a URL asks for it (rediss://), and always on the way out of a cluster.

The remote-workers overlay reaches the bot's Redis in another cluster over rediss://. Inside one cluster
the ``redis-tls`` component turns TLS on: Redis serves TLS only, every client URL is rediss:// and
names the CA it verifies Redis's certificate with, which is mounted where the URL says. A real
redis-server started from the rendered command and files (tests/deploy/redis_as_deployed.py) then
serves the bot's URL, as ``bot.redis_url.connect`` opens it, and refuses a plain-text client.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.redis_url import connect
from tests.backups.pki import make_pki
from tests.deploy.manifests import Obj, config_file, containers, find, render_with
from tests.deploy.redis_as_deployed import redis_as_deployed, secret_value

CLIENTS = (("chatops-bot", "chatops-redis-bot"), ("chatops-worker", "chatops-redis-worker"))
"""Each ACL user, and the Secret holding its URL."""
WORKLOADS = (
    ("chatops-bot", "chatops-redis-bot"),
    ("chatops-bot-runner", "chatops-redis-bot"),
    ("chatops-worker", "chatops-redis-worker"),
)
"""Each Redis client workload, and the Secret its REDIS_URL comes from."""


@pytest.fixture(scope="module", name="with_tls")
def fixture_with_tls() -> list[Obj]:
    """The single-cluster overlay with the ``redis-tls`` component."""
    return render_with("single-cluster", "redis-tls")


def test_the_remote_workers_reach_the_bots_redis_over_tls(rendered: dict[str, list[Obj]]) -> None:
    """Redis in another cluster is reached across networks nobody here controls: rediss:// only."""
    url = secret_value(rendered["remote-workers"], "chatops-redis-worker", "REDIS_URL")
    assert urlsplit(url).scheme == "rediss"


def test_with_the_tls_component_redis_serves_tls_and_nothing_in_plain_text(with_tls: list[Obj]) -> None:
    """The included tls.conf closes the plain port and serves TLS on 6379 with the mounted certificate."""
    [container] = find(with_tls, "StatefulSet", "chatops-redis")["spec"]["template"]["spec"]["containers"]
    included = container["command"][container["command"].index("--include") + 1]
    lines = config_file(with_tls, "chatops-redis-config", PurePosixPath(included).name).splitlines()
    options = dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))
    assert (options["port"], options["tls-port"]) == ("0", "6379")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert {str(PurePosixPath(options[key]).parent) for key in ("tls-cert-file", "tls-key-file")} <= set(
        mounts
    )
    for probe in ("startupProbe", "readinessProbe"):
        assert "--tls" in container[probe]["exec"]["command"][-1], probe


def test_with_the_tls_component_every_client_url_asks_for_tls_with_a_mounted_ca(with_tls: list[Obj]) -> None:
    """The bot's and the workers' URLs are rediss:// and their ssl_ca_certs is a file mounted in their pod."""
    by_workload = dict(containers(with_tls))
    for workload, secret in WORKLOADS:
        url = urlsplit(secret_value(with_tls, secret, "REDIS_URL"))
        assert url.scheme == "rediss", workload
        [ca] = parse_qs(url.query)["ssl_ca_certs"]
        container = next(c for where, c in by_workload.items() if where.startswith(workload + "/"))
        mounted = {m["mountPath"]: m for m in container["volumeMounts"]}
        mount = mounted[str(PurePosixPath(ca).parent)]
        assert mount["readOnly"] is True, workload
        volumes = {
            v["name"]: v
            for v in find(with_tls, "Deployment", workload)["spec"]["template"]["spec"]["volumes"]
        }
        assert volumes[mount["name"]]["configMap"]["name"] == "chatops-redis-ca", workload


@pytest.mark.redis
def test_the_rendered_tls_configuration_serves_the_clients_urls_and_refuses_plain_text(
    with_tls: list[Obj], tmp_path: Path
) -> None:
    """bot.redis_url.connect opens each rendered rediss:// URL, verifying the CA; plain text gets nowhere."""
    with redis_as_deployed(with_tls, tmp_path / "redis", pki=make_pki(tmp_path / "pki")) as redis:
        for user, secret in CLIENTS:
            client = connect(redis.url(secret_value(with_tls, secret, "REDIS_URL")))
            assert client.acl_whoami() == user
            assert client.connection_pool.connection_kwargs["ssl_ca_certs"] == str(redis.ca)
        with pytest.raises(RedisConnectionError):
            Redis(
                port=redis.port, username="chatops-probe", password=redis.probe_password, socket_timeout=2
            ).ping()
        [container] = find(with_tls, "StatefulSet", "chatops-redis")["spec"]["template"]["spec"]["containers"]
        probe = [
            part.replace("-h 127.0.0.1", f"-h 127.0.0.1 -p {redis.port}").replace(
                "/etc/redis/tls/ca.crt", str(redis.ca)
            )
            for part in container["readinessProbe"]["exec"]["command"]
        ]
        passed = subprocess.run(
            probe, env={**os.environ, "REDISCLI_AUTH": redis.probe_password}, timeout=10, check=False
        )
        assert passed.returncode == 0
