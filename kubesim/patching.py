"""PATCH bodies: strategic merge patch, JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

Strategic merge uses the patch merge keys of the built-in types kubesim serves (containers by name, ports
by containerPort, conditions by type, ...) and understands the `$patch`, `$retainKeys`,
`$deleteFromPrimitiveList/` and `$setElementOrder/` directives kubectl sends.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

from kubesim.errors import ApiError, bad_request, rejected_patch

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (STRATEGIC, MERGE, JSON_PATCH)

MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "addresses": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "podIPs": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
"""Lists merged element-wise by a key (from the Go types' `patchMergeKey` tags)."""

PRIMITIVE_MERGE_LISTS = frozenset({"finalizers"})
"""Lists of scalars that strategic merge unions instead of replacing."""


def _strip(value: Any) -> Any:
    """A copy of a patch fragment without `$` directives (for values inserted wholesale)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "replace")]
    return value


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return MERGE_KEYS.get(field)


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    if field in PRIMITIVE_MERGE_LISTS:
        return [*original, *(v for v in patch if v not in original)]
    key = _merge_key(field, [*patch, *original])
    if key is None or not all(isinstance(p, dict) for p in patch):
        return _strip(patch)  # type: ignore[no-any-return]
    if any(p.get("$patch") == "replace" for p in patch):
        return [_strip(p) for p in patch if p.get("$patch") != "replace"]
    result = [copy.deepcopy(o) for o in original]
    for element in patch:
        wanted = element.get(key)
        index = next(
            (i for i, o in enumerate(result) if isinstance(o, dict) and o.get(key) == wanted),
            None,
        )
        if element.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_strip(element))
        else:
            merged = _merge_dict(result[index], element)
            if merged is not None:
                result[index] = merged
    return result


def _merge_dict(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any] | None:
    """Strategic-merge `patch` into `original`; None means the patch deleted the whole map."""
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return _strip(patch)  # type: ignore[no-any-return]
    if directive not in (None, "merge"):
        raise bad_request(f"Unknown patch type: {directive}")
    result = dict(original)
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name) or [] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue
        current = result.get(key)
        if isinstance(value, dict):
            merged = _merge_dict(current if isinstance(current, dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            result[key] = value
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def strategic_merge(original: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a strategic merge patch (a JSON object) to a copy of `original`."""
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch body must be a JSON object")
    return _merge_dict(original, patch) or {}


def merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(original: dict[str, Any], patch: Any) -> dict[str, Any]:
    """RFC 6902 JSON patch; a malformed patch is 400 BadRequest, a failing operation 422 Invalid."""
    if not isinstance(patch, list) or not all(isinstance(op, dict) and "op" in op for op in patch):
        raise bad_request("json patch body must be a JSON array of operations")
    try:
        result = jsonpatch.JsonPatch(patch).apply(copy.deepcopy(original))
    except (
        jsonpatch.JsonPatchException,
        jsonpatch.JsonPointerException,
        KeyError,
        IndexError,
        TypeError,
    ) as e:
        raise rejected_patch() from e
    if not isinstance(result, dict):
        raise ApiError(422, "Invalid", "the server rejected our request: the patch replaced the whole object")
    return result


def apply_patch(original: dict[str, Any], body: Any, *, content_type: str) -> dict[str, Any]:
    """Apply a PATCH body of the given Content-Type (parameters after `;` ignored) to `original`."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == STRATEGIC:
        return strategic_merge(original, body)
    if media in (MERGE, APPLY):
        if not isinstance(body, dict):
            raise bad_request("merge patch body must be a JSON object")
        return merge_patch(original, body)  # type: ignore[no-any-return]
    if media == JSON_PATCH:
        return json_patch(original, body)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(PATCH_TYPES),
    )
