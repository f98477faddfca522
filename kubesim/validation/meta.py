"""ObjectMeta validation (apimachinery's ValidateObjectMeta): the name by the rule of its kind,
generateName, labels and annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubesim.validation import field, names
from kubesim.validation.field import Cause

NameRule = Callable[[str], list[str]]

NAME_RULES: dict[str, NameRule] = {
    "namespaces": names.dns1123_label,
    "services": names.dns1035_label,
    **dict.fromkeys(("roles", "rolebindings", "clusterroles", "clusterrolebindings"), names.path_segment),
}
"""Kinds whose names follow another rule than a DNS subdomain."""

_ANNOTATIONS_LIMIT = 256 * 1024


def name_rule(resource: str) -> NameRule:
    """The rule a resource's names must follow."""
    return NAME_RULES.get(resource, names.dns1123_subdomain)


def labels(value: Any, path: str) -> list[Cause]:
    """ValidateLabels: every key a qualified name, every value a label value."""
    if not isinstance(value, dict):
        return []
    causes: list[Cause] = []
    for key, item in value.items():
        causes += [field.invalid(path, key, problem) for problem in names.qualified_name(str(key))]
        if not isinstance(item, str):
            continue
        causes += [field.invalid(path, item, problem) for problem in names.label_value(item)]
    return causes


def _annotations(value: Any, path: str) -> list[Cause]:
    if not isinstance(value, dict):
        return []
    causes: list[Cause] = []
    for key in value:
        causes += [field.invalid(path, key, problem) for problem in names.qualified_name(str(key).lower())]
    size = sum(len(str(k)) + len(str(v)) for k, v in value.items())
    if size > _ANNOTATIONS_LIMIT:
        causes.append(field.invalid(path, "", f"may not be more than {_ANNOTATIONS_LIMIT} bytes"))
    return causes


def object_meta(resource: str, meta: dict[str, Any]) -> list[Cause]:
    """What is wrong with an object's metadata, as the API server lists it."""
    rule = name_rule(resource)
    causes: list[Cause] = []
    name = meta.get("name") or ""
    generate = meta.get("generateName") or ""
    if generate:
        masked = generate[:-1] if generate.endswith("-") else generate
        causes += [field.invalid("metadata.generateName", generate, p) for p in rule(masked)]
    if not name:
        causes.append(field.required("metadata.name", "name or generateName is required"))
    else:
        causes += [field.invalid("metadata.name", name, problem) for problem in rule(str(name))]
    causes += labels(meta.get("labels"), "metadata.labels")
    causes += _annotations(meta.get("annotations"), "metadata.annotations")
    return causes
