"""Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) and `/version`.

Plain `APIVersions`/`APIGroupList`/`APIResourceList` JSON: kubectl falls back to it when the server does not
answer with aggregated discovery (kubernetes.md §7.1).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kubesim.resources import METRICS, Custom, ResourceType, group_versions, resources_in

_CATEGORY_ALL = frozenset(
    {
        "pods",
        "services",
        "deployments",
        "replicasets",
        "daemonsets",
        "statefulsets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
        "horizontalpodautoscalers",
    }
)
_SUBRESOURCE_VERBS = ("get", "patch", "update")


def api_versions(*, server_address: str) -> dict[str, Any]:
    """`GET /api`: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_versions(custom: Custom | None) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group_version in group_versions(custom):
        if "/" in group_version:
            group, version = group_version.split("/", 1)
            groups.setdefault(group, []).append(version)
    return groups


def api_group(group: str, custom: Custom | None = None) -> dict[str, Any] | None:
    """`GET /apis/<group>`: one APIGroup, or None if the group is not served."""
    versions = _group_versions(custom).get(group)
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


def api_group_list(custom: Custom | None = None) -> dict[str, Any]:
    """`GET /apis`: every non-core group served (custom resources' groups last)."""
    groups = []
    for group in _group_versions(custom):
        entry = api_group(group, custom)
        if entry is not None:
            entry.pop("kind")
            entry.pop("apiVersion")
            groups.append(entry)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _resource_entry(rt: ResourceType) -> dict[str, Any]:
    if rt.api_version == METRICS:  # metrics-server lists no singular name, categories or hash
        return {"name": rt.plural, "singularName": "", "namespaced": rt.namespaced, "kind": rt.kind,
                "verbs": list(rt.verbs)}  # fmt: skip
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
    elif subresource == "log":
        entry.update(verbs=["get"])
    elif subresource == "scale":
        entry.update(group="autoscaling", version="v1", kind="Scale")
    return entry


def api_resource_list(group_version: str, custom: Custom | None = None) -> dict[str, Any] | None:
    """`GET /api/v1` or `/apis/<group>/<version>`: the resources and subresources served there."""
    if group_version not in group_versions(custom):
        return None
    resources: list[dict[str, Any]] = []
    for rt in resources_in(group_version, custom):
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
