"""Admission as kube-apiserver runs it before a write reaches storage: the NamespaceLifecycle plugin (a
namespaced object needs a namespace that exists and is not being terminated) and then validation.

The store calls these under its lock, after defaulting, for API clients and controllers alike, as the
real server judges every writer; a dry run passes through the same checks and stops before storage.
"""

from __future__ import annotations

from typing import Any

from kubesim import errors, validation
from kubesim.errors import ApiError
from kubesim.resources import RESOURCES, ResourceType

Obj = dict[str, Any]

NAMESPACE_TERMINATING = "NamespaceTerminating"
"""The StatusCause reason of a create refused in a Terminating namespace (corev1.NamespaceTerminatingCause)."""


def terminating(namespace: Obj) -> bool:
    """Whether a namespace is being deleted (its phase says so once the server has marked it)."""
    return (namespace.get("status") or {}).get("phase") == "Terminating" or bool(
        namespace["metadata"].get("deletionTimestamp")
    )


def namespace_lifecycle(rt: ResourceType, name: str, namespace_name: str, namespace: Obj | None) -> None:
    """404 when the namespace of a new object does not exist; 403 NamespaceTerminating while it is being
    deleted (the object's resource and name are the ones the message names: ``pods "x" is forbidden``)."""
    if not rt.namespaced:
        return
    if namespace is None:
        raise errors.not_found(RESOURCES["namespaces"], namespace_name)
    if not terminating(namespace):
        return
    details: Obj = (
        {"name": name, "group": rt.group, "kind": rt.plural}
        if rt.group
        else {"name": name, "kind": rt.plural}
    )
    if not name:
        del details["name"]
    cause = {
        "reason": NAMESPACE_TERMINATING,
        "message": f"namespace {namespace_name} is being terminated",
        "field": "metadata.namespace",
    }
    what = f'{rt.qualified} "{name}"' if name else rt.qualified
    raise ApiError(
        403,
        "Forbidden",
        f"{what} is forbidden: unable to create new content in namespace {namespace_name} "
        "because it is being terminated",
        details={**details, "causes": [cause]},
    )


def admit_create(rt: ResourceType, obj: Obj, *, namespace: Obj | None) -> None:
    """The checks of a create, in the server's order: the namespace, then the object itself."""
    meta = obj["metadata"]
    namespace_lifecycle(rt, str(meta.get("name") or ""), str(meta.get("namespace") or ""), namespace)
    validation.validate(rt, obj)


def admit_update(rt: ResourceType, new: Obj, old: Obj, *, subresource: str | None) -> None:
    """The checks of an update; a status write is not judged by the spec's rules."""
    if subresource != "status":
        validation.validate(rt, new, old)
