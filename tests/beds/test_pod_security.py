"""deploy/ judged by a real API server (the control plane of ``chatops control-plane``): every rendered
object of every overlay and opt-in component passes a server-side dry run (``kubectl apply
--dry-run=server``: the real schema, defaulting and admission, nothing stored), and the namespace's Pod
Security admission, enforcing "restricted", admits a pod made from each workload's template while it
refuses one that breaks the profile, so the restricted profile is proven by the server itself.
"""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from controlplane.build import Binaries
from controlplane.cluster import ControlPlane
from kubesim.testing import kubectl_path
from tests.deploy.manifests import VARIANTS, Obj, overlay, render, render_with

pytestmark = pytest.mark.control_plane

NAMESPACE = "chatops"
WOULD_VIOLATE = "would violate PodSecurity"


@pytest.fixture(scope="module", name="admin")
def fixture_admin(
    control_plane_binaries: Binaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A real control plane (no scenario: only deploy/'s worker RBAC, as every bed has) and its admin's
    kubeconfig."""
    plane = ControlPlane(control_plane_binaries, scenario=None)
    plane.start()
    try:
        yield plane.write_kubeconfig(tmp_path_factory.mktemp("pod-security") / "admin.kubeconfig")
    finally:
        plane.stop()


def kubectl(admin: Path, *args: str, objects: list[Obj]) -> subprocess.CompletedProcess[str]:
    """The real kubectl as the admin, reading ``objects`` from its standard input."""
    return subprocess.run(
        [str(kubectl_path()), "--kubeconfig", str(admin), *args, "-f", "-"],
        input=yaml.safe_dump_all(objects), capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "KUBECACHEDIR": str(admin.parent / "kubectl-cache")},
    )  # fmt: skip


def rendered(variant: str) -> list[Obj]:
    """One variant of :data:`VARIANTS` (``overlay`` or ``overlay+component``)."""
    base, *components = variant.split("+")
    return render_with(base, *components) if components else render(overlay(base))


def prerequisites(admin: Path, objects: list[Obj]) -> None:
    """Created for real: the namespace (with its Pod Security labels) and the ServiceAccounts, which a
    dry run of the pods needs to exist."""
    needed = [obj for obj in objects if obj["kind"] in ("Namespace", "ServiceAccount")]
    done = kubectl(admin, "apply", objects=needed)
    assert done.returncode == 0, done.stderr


def pod_from(workload: Obj) -> Obj:
    """The pod a workload's controller would create from its template (a StatefulSet's claims included)."""
    template = copy.deepcopy(workload["spec"]["template"])
    spec = template["spec"]
    name = workload["metadata"]["name"]
    for claim in workload["spec"].get("volumeClaimTemplates") or []:
        claim_name = claim["metadata"]["name"]
        spec.setdefault("volumes", []).append(
            {"name": claim_name, "persistentVolumeClaim": {"claimName": f"{claim_name}-{name}-0"}}
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{name}-admission",
            "namespace": NAMESPACE,
            "labels": template["metadata"]["labels"],
        },
        "spec": spec,
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_api_server_accepts_every_rendered_object_in_a_server_side_dry_run(
    admin: Path, variant: str
) -> None:
    """Every object, cluster-scoped and namespaced, accepted; no workload template warned about."""
    objects = rendered(variant)
    prerequisites(admin, objects)
    done = kubectl(admin, "apply", "--dry-run=server", objects=objects)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(server dry run)") == len(objects), done.stdout
    assert WOULD_VIOLATE not in done.stderr, done.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_pod_security_admission_admits_a_pod_of_every_workload_under_restricted(
    admin: Path, variant: str
) -> None:
    """A pod made from each Deployment's and StatefulSet's template is created (dry run) in the namespace."""
    objects = rendered(variant)
    prerequisites(admin, objects)
    pods = [pod_from(obj) for obj in objects if obj["kind"] in ("Deployment", "StatefulSet")]
    assert pods
    done = kubectl(admin, "create", "--dry-run=server", objects=pods)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(server dry run)") == len(pods), done.stdout


def test_pod_security_admission_refuses_a_pod_that_breaks_the_restricted_profile(admin: Path) -> None:
    """The control for the tests above: the same worker pod, allowed to escalate privileges, is refused, and
    its Deployment warned about."""
    objects = rendered("single-cluster")
    prerequisites(admin, objects)
    [worker] = [
        obj for obj in objects if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "chatops-worker"
    ]
    pod = pod_from(worker)
    pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    done = kubectl(admin, "create", "--dry-run=server", objects=[pod])
    assert done.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in done.stderr
    assert "allowPrivilegeEscalation != false" in done.stderr
    deployment = copy.deepcopy(worker)
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = (
        True
    )
    warned = kubectl(admin, "apply", "--dry-run=server", objects=[deployment])
    assert warned.returncode == 0, warned.stderr
    assert WOULD_VIOLATE in warned.stderr
