"""The rendered workloads behave as operations need (their security: test_pod_security.py, test_network.py,
test_redis_access.py).

Probes where there is something to probe; workers
given longer than the longest job to finish on SIGTERM; Redis persistent (AOF); Secrets shipped as
templates without a real value.
"""

from __future__ import annotations

import pytest

from shared.jobs import DEFAULT_TIMEOUT_SECONDS
from tests.deploy.manifests import OVERLAYS, Obj, config_file, containers, find


def test_redis_has_startup_readiness_and_liveness_probes_and_the_worker_only_a_readiness_probe(
    rendered: dict[str, list[Obj]],
) -> None:
    """Redis's startup probe lets a large AOF load; the worker is never killed by a probe (it would kill its job)."""
    probes = dict(containers(rendered["single-cluster"]))
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(probes["chatops-redis/redis"])
    assert "readinessProbe" in probes["chatops-worker/worker"]
    assert "livenessProbe" not in probes["chatops-worker/worker"]


def test_the_front_and_the_runners_run_as_two_deployments_each_with_its_own_probes(
    rendered: dict[str, list[Obj]],
) -> None:
    """Kubernetes supervises both halves (issue 15): ``--role front`` and ``--role runner``, never the
    all-in-one process; the front is ready with Redis and a live runner (/readyz), a runner with Redis
    (/healthz on RUNNER_PORT); each is restarted only when it stops serving."""
    objects = rendered["single-cluster"]
    config = find(objects, "ConfigMap", "chatops-bot-config")["data"]
    [front] = find(objects, "Deployment", "chatops-bot")["spec"]["template"]["spec"]["containers"]
    [runner] = find(objects, "Deployment", "chatops-bot-runner")["spec"]["template"]["spec"]["containers"]
    assert (front["args"], runner["args"]) == (["bot", "--role", "front"], ["bot", "--role", "runner"])
    assert [(p["name"], p["containerPort"]) for p in front["ports"]] == [("http", int(config["PORT"]))]
    assert [(p["name"], p["containerPort"]) for p in runner["ports"]] == [
        ("metrics", int(config["RUNNER_PORT"]))
    ]
    assert front["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert runner["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert front["livenessProbe"]["tcpSocket"] == {"port": "http"}  # a Redis outage restarts no front
    assert runner["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}  # its reader lives


def test_the_bot_service_routes_to_the_front_alone_and_only_the_runners_read_the_policy(
    rendered: dict[str, list[Obj]],
) -> None:
    """A runner pod is never behind Slack's request URL; the policy file is mounted where the runners look."""
    objects = rendered["single-cluster"]
    selector = find(objects, "Service", "chatops-bot")["spec"]["selector"]
    front = find(objects, "Deployment", "chatops-bot")["spec"]["template"]
    runner = find(objects, "Deployment", "chatops-bot-runner")["spec"]["template"]
    assert selector.items() <= front["metadata"]["labels"].items()
    assert not selector.items() <= runner["metadata"]["labels"].items()
    policy_directory = find(objects, "ConfigMap", "chatops-bot-config")["data"]["CHATOPS_POLICY"].rpartition(
        "/"
    )[0]
    mounts = {
        name: {m["mountPath"] for m in template["spec"]["containers"][0]["volumeMounts"]}
        for name, template in (("front", front), ("runner", runner))
    }
    assert policy_directory in mounts["runner"]
    assert policy_directory not in mounts["front"]


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
