"""The subresources with their own shape: ``scale`` (an autoscaling/v1 Scale over a workload's replicas)
and ``eviction`` (a policy/v1 Eviction, judged by kubesim.eviction)."""

from __future__ import annotations

from aiohttp import web

from kubesim import errors
from kubesim.eviction import evict
from kubesim.patching import apply_patch
from kubesim.selectors import label_selector_to_string
from kubesim.store import Obj, Store
from kubesim.validation import field
from kubesim.wire import Target, json_response, object_body, read_body


def scale_of(obj: Obj) -> Obj:
    """The Scale of a workload."""
    meta = obj["metadata"]
    selector = obj.get("spec", {}).get("selector") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": label_selector_to_string(selector),
        },
    }


async def scale(request: web.Request, target: Target, store: Store, *, dry_run: bool) -> web.StreamResponse:
    """GET, PUT or PATCH ``.../scale``: a stale resourceVersion is 409, a negative size 422."""
    rt, ns, name = target.rt, target.namespace, target.name or ""
    current = store.peek(rt.plural, ns, name)
    if request.method == "GET":
        return json_response(scale_of(current))
    if request.method == "PUT":
        wanted = object_body(await read_body(request))
    elif request.method == "PATCH":
        content_type = request.headers.get("Content-Type", "application/merge-patch+json")
        # A patch is applied to the latest object: only a resourceVersion the patch itself carries is a
        # precondition (the current one, read before the body arrived, may be stale by the write).
        base = scale_of(current)
        base["metadata"].pop("resourceVersion", None)
        wanted = apply_patch(base, await read_body(request), content_type=content_type)
    else:
        raise errors.method_not_allowed()
    wanted_version = (wanted.get("metadata") or {}).get("resourceVersion")
    replicas = (wanted.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int):
        raise errors.bad_request(f"invalid spec.replicas: {replicas!r}")
    if replicas < 0:
        raise errors.invalid(
            "Scale", name, field.non_negative("spec.replicas", replicas), group="autoscaling"
        )

    def set_replicas(obj: Obj) -> None:
        if wanted_version and wanted_version != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name)
        obj["spec"]["replicas"] = replicas

    updated = store.mutate(rt.plural, ns, name, set_replicas, dry_run=dry_run)
    return json_response(scale_of(updated))


async def eviction(request: web.Request, target: Target, store: Store) -> web.StreamResponse:
    """POST ``pods/<name>/eviction``: 201 with a Success Status, or the budget's refusal."""
    body = object_body(await read_body(request) or {})
    if body.get("kind") not in (None, "Eviction"):
        raise errors.bad_request(f"expected an Eviction, got {body.get('kind')}")
    body.setdefault("apiVersion", "policy/v1")
    body.setdefault("kind", "Eviction")
    body.setdefault("metadata", {}).setdefault("namespace", target.namespace)
    options = body.get("deleteOptions") or {}
    dry_run = bool(request.query.getall("dryRun", [])) or bool(options.get("dryRun"))
    result = evict(store, target.namespace or "", target.name or "", body, dry_run=dry_run)
    return json_response(result, status=int(result.get("code", 201)))
