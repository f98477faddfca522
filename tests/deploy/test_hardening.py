"""The rendered workloads behave as operations need (their security: test_pod_security.py, test_network.py,
test_redis_access.py).

Probes where there is something to probe; workers
given longer than the longest job to finish on SIGTERM; Redis persistent (AOF); Secrets shipped as
templates without a real value.
"""

from __future__ import annotations

import pytest

from bot.core.jobs import DEFAULT_TIMEOUT_SECONDS
from tests.deploy.manifests import OVERLAYS, Obj, config_file, containers, find


def test_the_bot_and_redis_have_readiness_and_liveness_probes_and_the_worker_a_readiness_probe(
    rendered: dict[str, list[Obj]],
) -> None:
    """Redis also has a startup probe (a large AOF takes a while to load); the worker is never killed by one."""
    probes = dict(containers(rendered["single-cluster"]))
    for where in ("chatops-bot/bot", "chatops-redis/redis"):
        assert {"readinessProbe", "livenessProbe"} <= set(probes[where]), where
    assert "startupProbe" in probes["chatops-redis/redis"]
    assert probes["chatops-bot/bot"]["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "readinessProbe" in probes["chatops-worker/worker"]
    assert "livenessProbe" not in probes["chatops-worker/worker"]


@pytest.mark.parametrize("name", OVERLAYS)
def test_workers_get_longer_than_the_longest_job_to_finish_on_sigterm(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    """RQ finishes the running job on SIGTERM; the grace period outlasts the job timeout."""
    worker = find(rendered[name], "Deployment", "chatops-worker")["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] > DEFAULT_TIMEOUT_SECONDS
    assert worker["serviceAccountName"] == "chatops-worker"
    assert worker["containers"][0]["args"] == ["worker", "--metrics-port", "9100"]


def test_redis_persists_with_aof_on_a_volume_and_never_evicts_keys(rendered: dict[str, list[Obj]]) -> None:
    """appendonly yes, fsync every second, data on a claim, noeviction (RQ must not lose keys), all in the
    mounted redis.conf, which names the ACL file of the mounted Secret."""
    objects = rendered["single-cluster"]
    redis = find(objects, "StatefulSet", "chatops-redis")
    [container] = redis["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["redis-server", "/etc/redis/config/redis.conf"]
    assert "args" not in container
    lines = config_file(objects, "chatops-redis-config", "redis.conf").splitlines()
    options = dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))
    assert options["appendonly"] == "yes"
    assert options["appendfsync"] == "everysec"
    assert options["maxmemory-policy"] == "noeviction"
    [claim] = redis["spec"]["volumeClaimTemplates"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts[options["dir"]] == claim["metadata"]["name"]
    volumes = {v["name"]: v for v in redis["spec"]["template"]["spec"]["volumes"]}
    acl_directory, _, acl_file = options["aclfile"].rpartition("/")
    acl = volumes[mounts[acl_directory]]["secret"]
    assert acl["secretName"] == "chatops-redis-acl"
    assert [item["path"] for item in acl["items"]] == [acl_file]


@pytest.mark.parametrize("name", OVERLAYS)
def test_secrets_are_templates_without_a_real_value(name: str, rendered: dict[str, list[Obj]]) -> None:
    """Every value is empty or says REPLACE-ME; nothing is base64 data someone pasted in."""
    for obj in rendered[name]:
        if obj["kind"] == "Secret":
            assert "data" not in obj, obj["metadata"]["name"]
            for key, value in obj["stringData"].items():
                assert value == "" or "REPLACE-ME" in value, f"{obj['metadata']['name']}.{key}"


def test_the_etcd_client_certificate_is_mounted_read_only_where_the_worker_looks(
    rendered: dict[str, list[Obj]],
) -> None:
    """CHATOPS_ETCD_CACERT/_CERT/_KEY name files of the mounted Secret."""
    objects = rendered["single-cluster"]
    config = find(objects, "ConfigMap", "chatops-worker-config")["data"]
    spec = find(objects, "Deployment", "chatops-worker")["spec"]["template"]["spec"]
    [volume] = [v for v in spec["volumes"] if "secret" in v]
    [mount] = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    keys = set(find(objects, "Secret", "chatops-etcd-client")["stringData"])
    for variable in ("CHATOPS_ETCD_CACERT", "CHATOPS_ETCD_CERT", "CHATOPS_ETCD_KEY"):
        directory, _, file = config[variable].rpartition("/")
        assert directory == mount["mountPath"]
        assert file in keys
