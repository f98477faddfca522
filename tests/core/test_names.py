"""Name validation follows Kubernetes' rules, so bad names fail in chat rather than at the API server."""

from __future__ import annotations

import pytest

from shared.names import NameKind, is_valid_name

VALID = [
    pytest.param(NameKind.NODE, "node-1", id="node"),
    pytest.param(NameKind.NODE, "ip-10-0-0-1.eu-west-1.compute.internal", id="node-fqdn"),
    pytest.param(NameKind.NODE, ".".join(["a" * 63] * 3 + ["a" * 61]), id="node-253"),
    pytest.param(NameKind.DEPLOYMENT, "web", id="deployment"),
    pytest.param(NameKind.DEPLOYMENT, "a" * 63, id="deployment-63"),
    pytest.param(NameKind.NAMESPACE, "kube-system", id="namespace"),
    pytest.param(NameKind.CONTAINER, "sidecar-2", id="container"),
    pytest.param(NameKind.IMAGE, "nginx", id="image-bare"),
    pytest.param(NameKind.IMAGE, "nginx:1.27", id="image-tag"),
    pytest.param(NameKind.IMAGE, "ghcr.io/org/app_x:v1.2.3-rc1", id="image-registry"),
    pytest.param(NameKind.IMAGE, "localhost:5000/a/b", id="image-port"),
    pytest.param(NameKind.IMAGE, "nginx@sha256:" + "0" * 64, id="image-digest"),
    pytest.param(NameKind.JOB, "01HZX_abc-9", id="job"),
    pytest.param(NameKind.INCIDENT, "INC-2024-7", id="incident"),
    pytest.param(NameKind.CLUSTER, "prod.eu_1-a", id="cluster"),
    pytest.param(NameKind.SNAPSHOT, "etcd-2024-05-01.db", id="snapshot"),
]

INVALID = [
    pytest.param(NameKind.NODE, "", id="node-empty"),
    pytest.param(NameKind.NODE, "Node-1", id="node-uppercase"),
    pytest.param(NameKind.NODE, "node-1.", id="node-trailing-dot"),
    pytest.param(NameKind.NODE, "-node", id="node-leading-dash"),
    pytest.param(NameKind.NODE, "a" * 254, id="node-254"),
    pytest.param(NameKind.NODE, "node-1\n", id="node-trailing-newline"),
    pytest.param(NameKind.DEPLOYMENT, "a" * 64, id="deployment-64"),
    pytest.param(NameKind.DEPLOYMENT, "web.v2", id="deployment-dot"),
    pytest.param(NameKind.NAMESPACE, "web-", id="namespace-trailing-dash"),
    pytest.param(NameKind.CONTAINER, "web_1", id="container-underscore"),
    pytest.param(NameKind.IMAGE, "Nginx", id="image-uppercase-path"),
    pytest.param(NameKind.IMAGE, "nginx:", id="image-empty-tag"),
    pytest.param(NameKind.IMAGE, "nginx:.bad", id="image-tag-leading-dot"),
    pytest.param(NameKind.IMAGE, "nginx@sha256:abc", id="image-short-digest"),
    pytest.param(NameKind.IMAGE, "a b", id="image-space"),
    pytest.param(NameKind.JOB, "job/1", id="job-slash"),
    pytest.param(NameKind.JOB, "j" * 65, id="job-65"),
    pytest.param(NameKind.INCIDENT, "inc 1", id="incident-space"),
    pytest.param(NameKind.CLUSTER, "-prod", id="cluster-leading-dash"),
    pytest.param(NameKind.SNAPSHOT, "..", id="snapshot-dots"),
    pytest.param(NameKind.SNAPSHOT, "a/b", id="snapshot-path"),
]


@pytest.mark.parametrize(("kind", "value"), VALID)
def test_names_kubernetes_accepts_are_valid(kind: NameKind, value: str) -> None:
    """Real-world names of each kind pass."""
    assert is_valid_name(kind, value)


@pytest.mark.parametrize(("kind", "value"), INVALID)
def test_names_kubernetes_rejects_are_invalid(kind: NameKind, value: str) -> None:
    """Names the API server (or our own id scheme) would refuse are refused up front."""
    assert not is_valid_name(kind, value)
