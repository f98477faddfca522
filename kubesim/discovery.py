"""Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) and `/version`.

Plain `APIVersions`/`APIGroupList`/`APIResourceList` JSON: kubectl falls back to it when the server does not
answer with aggregated discovery (kubernetes.md §7.1).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kubesim.resources import GROUP_VERSIONS, ResourceType, resources_in

_CATEGORY_ALL = frozenset({"pods", "services", "deployments", "replicasets", "daemonsets", "statefulsets"})
_SUBRESOURCE_VERBS = ("get", "patch", "update")


def api_versions(*, server_address: str) -> dict[str, Any]:
    """`GET /api`: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_versions() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group_version in GROUP_VERSIONS:
        if "/" in group_version:
            group, version = group_version.split("/", 1)
            groups.setdefault(group, []).append(version)
    return groups


def api_group(group: str) -> dict[str, Any] | None:
    """`GET /apis/<group>`: one APIGroup, or None if the group is not served."""
    versions = _group_versions().get(group)
    if versions is None:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list() -> dict[str, Any]:
    """`GET /apis`: every non-core group served."""
    groups = []
    for group in _group_versions():
        entry = api_group(group)
        if entry is not None:
            entry.pop("kind")
            entry.pop("apiVersion")
            groups.append(entry)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _resource_entry(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.plural in _CATEGORY_ALL:
        entry["categories"] = ["all"]
    entry["storageVersionHash"] = storage_version_hash(rt)
    return entry


def storage_version_hash(rt: ResourceType) -> str:
    """The opaque hash of the storage version (kube-apiserver's: the first 8 bytes of a SHA-256 of
    group/version/kind, base64)."""
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _subresource_entry(rt: ResourceType, subresource: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{rt.plural}/{subresource}",
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(_SUBRESOURCE_VERBS),
    }
    if subresource == "eviction":
        entry.update(group="policy", version="v1", kind="Eviction", verbs=["create"])
    elif subresource == "scale":
        entry.update(group="autoscaling", version="v1", kind="Scale")
    return entry


def api_resource_list(group_version: str) -> dict[str, Any] | None:
    """`GET /api/v1` or `/apis/<group>/<version>`: the resources and subresources served there."""
    if group_version not in GROUP_VERSIONS:
        return None
    resources: list[dict[str, Any]] = []
    for rt in resources_in(group_version):
        resources.append(_resource_entry(rt))
        resources.extend(_subresource_entry(rt, sub) for sub in rt.subresources)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def version_info(server_version: str) -> dict[str, str]:
    """`GET /version`: every field the Python client's VersionInfo model requires."""
    core = server_version.lstrip("v").split("-", 1)[0].split("+", 1)[0]
    major, minor, *_ = [*core.split("."), "0", "0"]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": server_version,
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def openapi_v3_root() -> dict[str, Any]:
    """`GET /openapi/v3`: where each group/version's OpenAPI document lives."""
    paths = {}
    for group_version in GROUP_VERSIONS:
        prefix = "api" if group_version == "v1" else "apis"
        paths[f"{prefix}/{group_version}"] = {
            "serverRelativeURL": f"/openapi/v3/{prefix}/{group_version}?hash=kubesim{len(group_version)}"
        }
    return {"paths": paths}


def openapi_v3_group(group_version: str) -> dict[str, Any] | None:
    """`GET /openapi/v3/api[s]/<gv>`: the smallest document kubectl's validation accepts.

    Each resource gets only its PATCH operation, tagged with its group/version/kind and declaring the
    `fieldValidation` query parameter, which tells kubectl that the server validates fields itself, so
    `kubectl apply/create` skip client-side schema validation.
    """
    if group_version not in GROUP_VERSIONS:
        return None
    prefix = "/api" if group_version == "v1" else "/apis"
    paths: dict[str, Any] = {}
    for rt in resources_in(group_version):
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        paths[f"{prefix}/{group_version}{scope}/{rt.plural}/{{name}}"] = {
            "patch": {
                "operationId": f"patch{rt.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {
                    "group": rt.group,
                    "version": rt.version,
                    "kind": rt.kind,
                },
                "parameters": [
                    {
                        "name": "fieldValidation",
                        "in": "query",
                        "schema": {"type": "string", "uniqueItems": True},
                    }
                ],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "kubesim"},
        "paths": paths,
        "components": {"schemas": {}},
    }
