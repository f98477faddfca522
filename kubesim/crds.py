"""CustomResourceDefinitions and their objects: a CRD, once stored, makes its resource served (stored,
listed in discovery, readable and writable like any other) until it is deleted, which removes the
resource's objects with it, as the CRD's cleanup finalizer does.

kubesim serves one version per CRD, its storage version, and keys a custom resource by its plural: a CRD
whose plural another group already serves is stored but not served (a real server would serve both).
Custom objects are not pruned or validated against the CRD's schema (as with
``x-kubernetes-preserve-unknown-fields``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.resources import ALL_VERBS, RESOURCES, ResourceType

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]
CRDS = "customresourcedefinitions"


def custom_type(crd: Obj) -> ResourceType | None:
    """The resource a CRD defines (its storage version), or None when it defines nothing servable."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("served", True)]
    chosen = next((v for v in versions if v.get("storage")), versions[0] if versions else None)
    if not (spec.get("group") and names.get("plural") and names.get("kind") and chosen):
        return None
    subresources = chosen.get("subresources") or {}
    return ResourceType(
        group=str(spec["group"]),
        version=str(chosen.get("name")),
        plural=str(names["plural"]),
        singular=str(names.get("singular") or str(names["kind"]).lower()),
        kind=str(names["kind"]),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        verbs=ALL_VERBS,
        subresources=tuple(name for name in ("status", "scale") if name in subresources),
        custom=True,
    )


def install(store: Store) -> None:
    """Keep `store.custom` in step with the CRDs stored (called once, by the store itself)."""

    def observe(event: str, resource: str, obj: Obj) -> None:
        if resource != CRDS:
            return
        rt = custom_type(obj)
        if rt is None or rt.plural in RESOURCES:
            return
        taken = store.custom.get(rt.plural)
        if taken is not None and taken.group != rt.group:
            return
        if event == "DELETED":
            store.retire(rt.plural)
        else:
            store.serve(rt)

    store.subscribe(observe)
