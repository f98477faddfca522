"""The OpenAPI v3 documents (``/openapi/v3`` and one per group/version), generated from kubesim's own field
lists (kubesim.validation.schema), enough for ``kubectl explain`` of every kind served and for kubectl to
see that the server validates fields itself.

Each kind is a component named as the real server names it (``io.k8s.api.apps.v1.Deployment``) and tagged
with its group/version/kind; nested structures kubesim models (metadata, pod specs and templates,
containers, workload specs) are components of their own, referenced with ``allOf``/``$ref`` as the real
documents do. Field types come from `kubesim.openapi_fields`; descriptions are short. Each resource's
PATCH operation declares the ``fieldValidation`` parameter, so ``kubectl apply/create`` leave validation
to the server. ``/openapi/v2`` is not served (kubectl 1.37 explains from v3).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from kubesim import openapi_fields
from kubesim.records import encode
from kubesim.resources import METRICS, Custom, ResourceType, group_versions, resources_in
from kubesim.validation import schema
from kubesim.wire import json_response, not_found_path

Obj = dict[str, Any]
REF = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
CORE = "io.k8s.api.core.v1."
_NAMED: dict[int, str] = {
    id(schema.OBJECT_META): META,
    id(schema.POD_SPEC): CORE + "PodSpec",
    id(schema.CONTAINER): CORE + "Container",
    id(schema.TEMPLATE): CORE + "PodTemplateSpec",
}
"""The shared structures and their real component names."""


def package(rt: ResourceType) -> str:
    """The Go package prefix of a kind's components (``io.k8s.api.apps.v1.``)."""
    if rt.custom:
        return ".".join(reversed(rt.group.split("."))) + f".{rt.version}."
    if rt.group == "apiextensions.k8s.io":
        return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
    return f"io.k8s.api.{rt.group.split('.')[0] or 'core'}.{rt.version}."


class _Builder:
    """Collects the components of one group/version document."""

    def __init__(self) -> None:
        self.schemas: dict[str, Obj] = {}

    def ref(self, name: str, description: str) -> Obj:
        return {"description": description, "allOf": [{"$ref": REF + name}]}

    def structure(self, name: str, fields: Any, owner: str) -> None:
        """Add the component `name` for a mapping of field names (once)."""
        if name in self.schemas:
            return
        self.schemas[name] = {}  # reserve: structures may refer back to themselves
        properties = {key: self.field(key, value, owner) for key, value in sorted(fields.items())}
        described = openapi_fields.describe(owner, "")
        self.schemas[name] = {"description": described, "type": "object", "properties": properties}

    def field(self, key: str, value: Any, owner: str) -> Obj:
        """The schema of one field: a reference to a modelled structure, or a typed leaf."""
        description = openapi_fields.describe(owner, key)
        if isinstance(value, schema.ListOf):
            item = self._component(key, value.item, owner)
            return {"description": description, "type": "array", "items": {"allOf": [{"$ref": REF + item}]}}
        if value is not schema.ANY and isinstance(value, dict) and value:
            return self.ref(self._component(key, value, owner), description)
        return {"description": description, **openapi_fields.leaf(owner, key)}

    def _component(self, key: str, value: Any, owner: str) -> str:
        known = _NAMED.get(id(value))
        name = known or owner.rsplit(".", 1)[0] + "." + owner.rsplit(".", 1)[-1] + key[:1].upper() + key[1:]
        self.structure(name, value, name)
        return name

    def kind(self, rt: ResourceType) -> Obj:
        """The component of a kind, tagged with its GVK."""
        name = package(rt) + rt.kind
        body = schema.schema_of(rt.plural)
        properties: Obj = {}
        if rt.custom:
            properties = {
                key: {"description": openapi_fields.describe(name, key), **openapi_fields.leaf(name, key)}
                for key in ("apiVersion", "kind")
            }
            properties["metadata"] = self.ref(META, openapi_fields.describe(name, "metadata"))
            self.structure(META, schema.OBJECT_META, META)
            properties["spec"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            properties["status"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        else:
            for key, value in body.items():
                if key in ("spec", "status") and (value is schema.ANY or not value):
                    properties[key] = self.ref(name + key.title(), openapi_fields.describe(name, key))
                    self.schemas.setdefault(name + key.title(), self._opaque(name + key.title()))
                else:
                    properties[key] = self.field(key, value, name)
        self.schemas[name] = {
            "description": openapi_fields.describe(name, ""),
            "type": "object",
            "properties": properties,
            "x-kubernetes-group-version-kind": [{"group": rt.group, "kind": rt.kind, "version": rt.version}],
        }
        return self.schemas[name]

    @staticmethod
    def _opaque(name: str) -> Obj:
        """A structure kubesim does not model field by field."""
        return {"description": openapi_fields.describe(name, ""), "type": "object",
                "x-kubernetes-preserve-unknown-fields": True}  # fmt: skip


def _patch(rt: ResourceType) -> Obj:
    return {
        "operationId": f"patch{rt.kind}",
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "parameters": [
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        ],
        "responses": {"200": {"description": "OK"}},
    }


def _served(custom: Custom | None) -> list[str]:
    return [gv for gv in group_versions(custom) if gv != METRICS]


def document(group_version: str, custom: Custom | None = None) -> Obj | None:
    """`GET /openapi/v3/api[s]/<gv>`: the kinds of one group/version and their PATCH operations."""
    if group_version not in _served(custom):
        return None
    prefix = "/api" if group_version == "v1" else "/apis"
    builder = _Builder()
    paths: Obj = {}
    for rt in resources_in(group_version, custom):
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        paths[f"{prefix}/{group_version}{scope}/{rt.plural}/{{name}}"] = {"patch": _patch(rt)}
        builder.kind(rt)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "kubesim"},
        "paths": paths,
        "components": {"schemas": dict(sorted(builder.schemas.items()))},
    }


def root(custom: Custom | None = None) -> Obj:
    """`GET /openapi/v3`: where each group/version's document lives (the hash changes with it)."""
    paths = {}
    for group_version in _served(custom):
        prefix = "api" if group_version == "v1" else "apis"
        digest = hashlib.sha512(encode(document(group_version, custom))).hexdigest()[:32].upper()
        paths[f"{prefix}/{group_version}"] = {
            "serverRelativeURL": f"/openapi/v3/{prefix}/{group_version}?hash={digest}"
        }
    return {"paths": paths}


def serve(request: web.Request, rest: list[str], custom: Custom | None) -> web.StreamResponse:
    """``/openapi/v3[/api[s]/<gv>]``; everything else under ``/openapi`` is 404."""
    if rest[:1] != ["v3"]:
        raise not_found_path()
    found = root(custom) if len(rest) == 1 else document("/".join(rest[2:]), custom)
    if found is None:
        raise not_found_path()
    return json_response(found)
