"""Every workload deploy/ renders meets the Pod Security "restricted" profile and the Kubernetes security
checklist, one property per test, in every overlay and with every opt-in component.

Non-root; a read-only root filesystem, writing only to emptyDir volumes (bounded) or to the volumes
meant for data; no privilege escalation; every capability dropped; the runtime's default seccomp
profile; CPU and memory requested and limited; a ServiceAccount token only where the Kubernetes API is
used (the workers); nothing of the host's; the namespace enforcing "restricted". tests/beds/
test_pod_security.py has the real API server's Pod Security admission judge the same pods.
"""

from __future__ import annotations

import pytest

from tests.deploy.manifests import VARIANTS, Obj, containers, find, pod_specs

WRITABLE_VOLUME_KINDS = {"emptyDir", "persistentVolumeClaim"}
"""What a container may write to: scratch space, and the claims meant for data (backups, Redis's AOF)."""


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_pod_runs_as_a_non_root_user(variant: str, variants: dict[str, list[Obj]]) -> None:
    """runAsNonRoot on the pod and each container, and a user id other than 0."""
    for workload, spec in pod_specs(variants[variant]):
        pod = spec.get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True, workload
        assert pod.get("runAsUser", 0) > 0, workload
    for where, container in containers(variants[variant]):
        context = container.get("securityContext") or {}
        assert context.get("runAsNonRoot") is True, where
        assert context.get("runAsUser", 1) > 0, where


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_a_read_only_root_filesystem(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """readOnlyRootFilesystem: nothing an intruder writes survives a restart, nor changes the image."""
    for where, container in containers(variants[variant]):
        assert (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is True, where


@pytest.mark.parametrize("variant", VARIANTS)
def test_containers_write_only_to_bounded_scratch_space_or_to_volumes_meant_for_data(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """Every writable mount is an emptyDir with a size limit or a claim; HOME is such a mount."""
    objects = variants[variant]
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        spec = obj["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in spec.get("volumes") or []}
        claims = {claim["metadata"]["name"] for claim in obj["spec"].get("volumeClaimTemplates") or []}
        for container in spec["containers"]:
            where = f"{obj['metadata']['name']}/{container['name']}"
            writable = {
                m["mountPath"]: m["name"]
                for m in container.get("volumeMounts") or []
                if not m.get("readOnly")
            }
            for path, name in writable.items():
                if name in claims:
                    continue
                kinds = set(volumes[name]) & WRITABLE_VOLUME_KINDS
                assert kinds, f"{where}: {path} is writable but not scratch space or data"
                if "emptyDir" in kinds:
                    assert volumes[name]["emptyDir"].get("sizeLimit"), f"{where}: {path} has no sizeLimit"
            home = {v["name"]: v.get("value") for v in container.get("env") or []}.get("HOME")
            if home is not None:
                assert home in writable, f"{where}: HOME={home} is not a writable mount"


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_container_may_gain_privileges(variant: str, variants: dict[str, list[Obj]]) -> None:
    """allowPrivilegeEscalation false (no setuid binary helps), and none privileged."""
    for where, container in containers(variants[variant]):
        context = container.get("securityContext") or {}
        assert context.get("allowPrivilegeEscalation") is False, where
        assert not context.get("privileged"), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_drops_all_capabilities_and_adds_none(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """capabilities.drop is [ALL]; nothing is added back (not even NET_BIND_SERVICE: no port below 1024)."""
    for where, container in containers(variants[variant]):
        capabilities = (container.get("securityContext") or {}).get("capabilities") or {}
        assert capabilities.get("drop") == ["ALL"], where
        assert not capabilities.get("add"), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_pod_uses_the_runtime_default_seccomp_profile(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """seccompProfile RuntimeDefault on the pod, and no container overriding it."""
    for workload, spec in pod_specs(variants[variant]):
        assert (spec.get("securityContext") or {}).get("seccompProfile") == {"type": "RuntimeDefault"}, (
            workload
        )
    for where, container in containers(variants[variant]):
        profile = (container.get("securityContext") or {}).get("seccompProfile")
        assert profile in (None, {"type": "RuntimeDefault"}), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_requests_and_limits_cpu_and_memory(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """The scheduler knows what each needs; none can take the node's memory or all of its CPU."""
    for where, container in containers(variants[variant]):
        resources = container.get("resources") or {}
        assert set(resources.get("requests") or {}) >= {"cpu", "memory"}, where
        assert set(resources.get("limits") or {}) >= {"cpu", "memory"}, where


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_the_workers_are_given_a_service_account_token(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """The workers call the Kubernetes API; the bot and Redis never do, and mount no token."""
    for workload, spec in pod_specs(variants[variant]):
        expected = workload == "chatops-worker"
        assert spec.get("automountServiceAccountToken") is expected, workload
    for obj in variants[variant]:
        if obj["kind"] == "ServiceAccount" and obj["metadata"]["name"] != "chatops-worker":
            assert obj.get("automountServiceAccountToken") is False, obj["metadata"]["name"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_pod_uses_the_hosts_network_processes_ports_or_files(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """No hostNetwork, hostPID, hostIPC, hostPort or hostPath volume."""
    for workload, spec in pod_specs(variants[variant]):
        assert not any(spec.get(key) for key in ("hostNetwork", "hostPID", "hostIPC")), workload
        assert not any("hostPath" in volume for volume in spec.get("volumes") or []), workload
    for where, container in containers(variants[variant]):
        assert not any(port.get("hostPort") for port in container.get("ports") or []), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_namespace_enforces_the_restricted_pod_security_level(
    variant: str, variants: dict[str, list[Obj]]
) -> None:
    """The API server itself refuses a pod of the chatops namespace that breaks any rule above."""
    labels = find(variants[variant], "Namespace", "chatops")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
