"""Who may talk to Redis, and how they prove it, as deploy/ renders it (findings 4 and 14).

Redis admits no anonymous client: each component has its own ACL user and password from a Secret
(chatops-bot, chatops-worker, and chatops-probe for Redis's probes, which may only PING). No password is
ever on a command line, where ``ps`` and the pod spec would show it. The ACL file is held against a real
redis-server started from the rendered configuration: the bot and the workers do their work as their own
users, and neither may run an administrative command.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError
from rq import Queue, SimpleWorker
from rq.job import Job

from bot.redis_url import connect
from tests.deploy.manifests import OVERLAYS, Obj, containers, find
from tests.deploy.redis_as_deployed import redis_as_deployed, secret_value

ADMINISTRATIVE = (
    ("CONFIG", "SET", "dir", "/tmp"),
    ("CONFIG", "GET", "*"),
    ("ACL", "SETUSER", "intruder", "on", ">pw", "+@all"),
    ("ACL", "LIST"),
    ("CLIENT", "KILL", "TYPE", "normal"),
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("SHUTDOWN", "NOSAVE"),
    ("KEYS", "*"),
    ("REPLICAOF", "127.0.0.1", "1"),
    ("MODULE", "LIST"),
)
"""Commands that would let a stolen application credential take over or wipe Redis."""


def _command_lines(container: Obj) -> list[str]:
    """Everything a container runs: its command and arguments, and its probes' commands."""
    lines = [" ".join([*(container.get("command") or []), *(container.get("args") or [])])]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        lines.append(" ".join(((container.get(probe) or {}).get("exec") or {}).get("command") or []))
    return lines


def _secret_variables(container: Obj, objects: list[Obj]) -> set[str]:
    """The environment variables a container takes from Secrets (one by one, or all keys of one)."""
    names = {
        variable["name"]
        for variable in container.get("env") or []
        if "secretKeyRef" in (variable.get("valueFrom") or {})
    }
    for source in container.get("envFrom") or []:
        if "secretRef" in source:
            names |= set(find(objects, "Secret", source["secretRef"]["name"]).get("stringData") or {})
    return names


@pytest.mark.parametrize("name", OVERLAYS)
def test_no_container_puts_a_secret_on_its_command_line(name: str, rendered: dict[str, list[Obj]]) -> None:
    """No ``$(VARIABLE)`` from a Secret and no Secret value in any command, argument or probe command."""
    objects = rendered[name]
    values = [
        value
        for obj in objects
        if obj["kind"] == "Secret"
        for value in (obj.get("stringData") or {}).values()
        if value
    ]
    for where, container in containers(objects):
        for line in _command_lines(container):
            for variable in _secret_variables(container, objects):
                assert f"$({variable})" not in line, (where, variable)
            for value in values:
                assert value not in line, where


def test_redis_admits_no_anonymous_client_and_each_component_connects_as_its_own_user(
    rendered: dict[str, list[Obj]],
) -> None:
    """The default user is off; the bot's and the workers' REDIS_URL name their own ACL users."""
    objects = rendered["single-cluster"]
    users = {
        line.split()[1]: line.split()[2:]
        for line in secret_value(objects, "chatops-redis-acl", "users.acl").splitlines()
    }
    assert set(users) == {"default", "chatops-bot", "chatops-worker", "chatops-probe"}
    assert "off" in users["default"] and "nopass" not in users["default"]
    assert all("nopass" not in rules for rules in users.values())
    for workload, user in (
        ("chatops-bot", "chatops-bot"),
        ("chatops-bot-runner", "chatops-bot"),
        ("chatops-worker", "chatops-worker"),
    ):
        [container] = find(objects, "Deployment", workload)["spec"]["template"]["spec"]["containers"]
        [reference] = [v["valueFrom"]["secretKeyRef"] for v in container["env"] if v["name"] == "REDIS_URL"]
        url = urlsplit(secret_value(objects, reference["name"], reference["key"]))
        assert url.username == user, workload
        assert f">{url.password}" in users[user], f"{workload}: its URL's password is not its user's"


@pytest.mark.redis
def test_the_deployed_redis_refuses_a_client_without_a_user(
    rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    """An unauthenticated PING, and a known user with a wrong password, are both refused."""
    with redis_as_deployed(rendered["single-cluster"], tmp_path) as redis:
        with pytest.raises(AuthenticationError):
            Redis(port=redis.port).ping()
        with pytest.raises(AuthenticationError):
            Redis(port=redis.port, username="chatops-worker", password="guessed").ping()


@pytest.mark.redis
def test_redis_probes_pass_as_the_probe_user_who_may_only_ping(
    rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    """The readiness probe's own command succeeds with REDISCLI_AUTH; the probe user cannot read a key."""
    objects = rendered["single-cluster"]
    redis_container = dict(containers(objects))["chatops-redis/redis"]
    probe = redis_container["readinessProbe"]["exec"]["command"]
    [variable] = [v for v in redis_container["env"] if v["name"] == "REDISCLI_AUTH"]
    assert variable["valueFrom"]["secretKeyRef"] == {"name": "chatops-redis-acl", "key": "probe-password"}
    with redis_as_deployed(objects, tmp_path) as redis:
        local = [part.replace("-h 127.0.0.1", f"-h 127.0.0.1 -p {redis.port}") for part in probe]
        password = redis.fill(secret_value(objects, "chatops-redis-acl", "probe-password"))
        passed = subprocess.run(local, env={**os.environ, "REDISCLI_AUTH": password}, timeout=10, check=False)
        failed = subprocess.run(local, env={**os.environ, "REDISCLI_AUTH": "wrong"}, timeout=10, check=False)
        assert (passed.returncode, failed.returncode != 0) == (0, True)
        with pytest.raises(NoPermissionError):
            Redis(port=redis.port, username="chatops-probe", password=password).get("rq:queues")


@pytest.mark.redis
def test_the_bot_enqueues_and_a_worker_runs_a_job_each_as_its_own_user(
    rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    """RQ end to end (the worker records its address with CLIENT LIST), and the bot's streams and scripts."""
    objects = rendered["single-cluster"]
    with redis_as_deployed(objects, tmp_path) as redis:
        bot = connect(redis.url(secret_value(objects, "chatops-redis-bot", "REDIS_URL")))
        worker = connect(redis.url(secret_value(objects, "chatops-redis-worker", "REDIS_URL")))
        assert bot.acl_whoami() == "chatops-bot" and worker.acl_whoami() == "chatops-worker"
        job = Queue("chatops-default", connection=bot).enqueue("posixpath.join", "a", "b")
        assert SimpleWorker([Queue("chatops-default", connection=worker)], connection=worker).work(burst=True)
        assert Job.fetch(job.id, connection=bot).return_value() == "a/b"
        bot.xgroup_create("chatops:slack:inbox", "runners", id="0", mkstream=True)
        bot.xadd("chatops:slack:inbox", {"body": "{}"})
        assert bot.xreadgroup("runners", "runner-1", {"chatops:slack:inbox": ">"})
        assert bot.eval("return redis.call('INCR', KEYS[1])", 1, "chatops:counter") == 1


@pytest.mark.redis
@pytest.mark.parametrize("command", ADMINISTRATIVE, ids=[" ".join(c[:3]).lower() for c in ADMINISTRATIVE])
def test_neither_application_user_may_run_an_administrative_command(
    command: tuple[str, ...], rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    """A stolen bot or worker credential cannot reconfigure, wipe, replicate or stop Redis."""
    objects = rendered["single-cluster"]
    with redis_as_deployed(objects, tmp_path) as redis:
        for secret in ("chatops-redis-bot", "chatops-redis-worker"):
            client = connect(redis.url(secret_value(objects, secret, "REDIS_URL")))
            with pytest.raises(ResponseError, match=r"NOPERM|permission"):
                client.execute_command(*command)  # type: ignore[no-untyped-call]
