"""Validation as kube-apiserver does it before a write: the object's metadata by the rules of its kind,
then its spec, then (on update) what may not change. A failure is the 422 Invalid Status the server
answers, with one cause (``reason``, ``message``, ``field``) per problem, in the server's order.

Only the rules clients meet are here (see each module); anything else is accepted as before.
"""

from __future__ import annotations

from typing import Any

from kubesim import errors
from kubesim.resources import ResourceType
from kubesim.validation import data, meta, pods, workloads
from kubesim.validation.field import Cause

WORKLOADS = ("deployments", "replicasets", "statefulsets", "daemonsets")


def problems(resource: str, new: dict[str, Any], old: dict[str, Any] | None = None) -> list[Cause]:
    """Everything wrong with `new` (replacing `old` when it is an update)."""
    causes = (
        meta.object_meta(resource, new.get("metadata") or {}) if old is None else _meta_update(resource, new)
    )
    if resource == "pods":
        causes += pods.pod(new) if old is None else []
    elif resource in WORKLOADS:
        causes += workloads.workload(resource, new)
        causes += workloads.workload_update(resource, new, old) if old is not None else []
    elif resource in ("configmaps", "secrets"):
        causes += data.data(new)
        causes += data.data_update(new, old) if old is not None else []
    return causes


def _meta_update(resource: str, new: dict[str, Any]) -> list[Cause]:
    """On update the name is fixed already; labels and annotations are checked again."""
    checked = meta.object_meta(resource, new.get("metadata") or {})
    return [
        cause
        for cause in checked
        if not cause["field"].startswith(("metadata.name", "metadata.generateName"))
    ]


def validate(rt: ResourceType, new: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """Raise the API server's 422 Invalid when `new` breaks a rule."""
    causes = problems(rt.plural, new, old)
    if causes:
        name = str((new.get("metadata") or {}).get("name") or "")
        raise errors.invalid(rt.kind, name, causes, group=rt.group)
