"""Kubernetes label selectors on plain dicts: matching pods against a PodDisruptionBudget, and the query
string a list call takes.

A selector is the API's ``LabelSelector`` JSON (``matchLabels`` and ``matchExpressions``); policy/v1
semantics apply: ``None`` selects nothing, ``{}`` selects everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """True when ``labels`` satisfy every requirement of ``selector``."""
    if selector is None:
        return False
    present = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if present.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and present.get(key) not in values:
            return False
        if operator == "NotIn" and key in present and present[key] in values:
            return False
        if operator == "Exists" and key not in present:
            return False
        if operator == "DoesNotExist" and key in present:
            return False
    return True


def to_query(selector: Mapping[str, Any]) -> str:
    """The ``labelSelector`` query parameter equivalent to ``selector`` (kubectl's own rendering)."""
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(sorted(expression.get("values") or []))
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
