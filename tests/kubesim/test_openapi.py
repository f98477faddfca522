"""OpenAPI v3: `kubectl explain` of the kinds kubesim serves, from documents generated from kubesim's own
field lists (kubesim.validation.schema), shaped as the real server's are."""

from __future__ import annotations

import pytest

from kubesim import openapi
from kubesim.resources import RESOURCES, VIEWS, resources_in
from kubesim.testing import Kubectl
from tests.kubesim.conftest import Http

pytestmark = pytest.mark.kubectl


def test_explain_a_field_prints_its_group_kind_type_and_description(kubectl: Kubectl) -> None:
    """`kubectl explain deployment.spec.replicas` names the GVK and says the field is an integer."""
    printed = kubectl("explain", "deployment.spec.replicas", check=True).stdout
    assert printed.startswith(
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n"
    )
    assert "Number of desired pods." in printed


def test_explain_a_kind_lists_its_fields_with_their_types(kubectl: Kubectl) -> None:
    """`kubectl explain pods` lists the top-level fields, structures by their component names."""
    printed = kubectl("explain", "pods", check=True).stdout
    assert printed.startswith("KIND:       Pod\nVERSION:    v1\n")
    for field in ("apiVersion\t<string>", "kind\t<string>", "metadata\t<ObjectMeta>", "spec\t<PodSpec>",
                  "status\t<PodStatus>"):  # fmt: skip
        assert f"  {field}\n" in printed


def test_explain_goes_down_shared_structures(kubectl: Kubectl) -> None:
    """A Deployment's template leads to the pod spec and its containers, as on a cluster."""
    containers = kubectl("explain", "deploy.spec.template.spec.containers", check=True).stdout
    assert "FIELD: containers <[]Container>" in containers
    assert "  image\t<string>\n" in containers
    labels = kubectl("explain", "deployment.metadata.labels", check=True).stdout
    assert "FIELD: labels <map[string]string>" in labels


@pytest.mark.parametrize(
    "kind", ["cronjob", "ingress", "hpa", "pvc", "netpol", "configmap", "crd", "rolebinding"]
)
def test_every_served_kind_can_be_explained(kubectl: Kubectl, kind: str) -> None:
    """The configuration kinds are explained too (their specs as objects kubesim does not detail)."""
    assert "FIELDS:" in kubectl("explain", kind, check=True).stdout


def test_each_kind_is_one_component_tagged_with_its_group_version_kind(http: Http) -> None:
    """Every stored kind of every group/version has exactly one component carrying its GVK."""
    root = http("GET", "/openapi/v3").json()["paths"]
    for group_version in {rt.api_version for rt in [*RESOURCES.values(), *VIEWS.values()]}:
        prefix = "api" if group_version == "v1" else "apis"
        document = http("GET", root[f"{prefix}/{group_version}"]["serverRelativeURL"]).json()
        tagged = [
            gvk["kind"]
            for component in document["components"]["schemas"].values()
            for gvk in component.get("x-kubernetes-group-version-kind", [])
        ]
        assert sorted(tagged) == sorted(rt.kind for rt in resources_in(group_version)), group_version
    assert openapi.package(RESOURCES["horizontalpodautoscalers"]) == "io.k8s.api.autoscaling.v2."
