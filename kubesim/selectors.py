"""Label and field selectors: parsing the query-string syntax and matching objects, as the API server does.

Labels support `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k` (comma = AND) and, for
controllers, the structured `matchLabels`/`matchExpressions` form. Fields support `=`, `==`, `!=` on the
fields each resource declares; anything else is a 400 BadRequest (kubernetes.md §7.7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesim.errors import ApiError, bad_request

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_RE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|!=|=)\s*(?P<value>{_VALUE})$")
_CMP_RE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>[<>])\s*(?P<value>-?\d+)$")
_EXISTS_RE = re.compile(rf"^(?P<key>{_KEY})$")
_NOT_EXISTS_RE = re.compile(rf"^!\s*(?P<key>{_KEY})$")


@dataclass(frozen=True)
class Requirement:
    """One label requirement; `op` is in, notin, exists, !, gt or lt (equality is `in` with one value)."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when a label map satisfies this requirement."""
        if self.op == "exists":
            return self.key in labels
        if self.op == "!":
            return self.key not in labels
        if self.op == "in":
            return self.key in labels and labels[self.key] in self.values
        if self.op == "notin":
            return self.key not in labels or labels[self.key] not in self.values
        value = labels.get(self.key)
        if value is None:
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        return number > int(self.values[0]) if self.op == "gt" else number < int(self.values[0])


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of label requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """True when a label map (None = no labels) satisfies every requirement."""
        if self.matches_nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def matches_object(self, obj: Mapping[str, Any]) -> bool:
        """True when an object's metadata.labels satisfy the selector."""
        return self.matches(obj.get("metadata", {}).get("labels"))

    @property
    def empty(self) -> bool:
        """True when the selector matches every object."""
        return not self.requirements and not self.matches_nothing


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_requirement(text: str) -> Requirement:
    if match := _NOT_EXISTS_RE.match(text):
        return Requirement(match["key"], "!")
    if match := _SET_RE.match(text):
        values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
        return Requirement(match["key"], match["op"], values)
    if match := _EQ_RE.match(text):
        op = "notin" if match["op"] == "!=" else "in"
        return Requirement(match["key"], op, (match["value"],))
    if match := _CMP_RE.match(text):
        return Requirement(match["key"], "gt" if match["op"] == ">" else "lt", (match["value"],))
    if match := _EXISTS_RE.match(text):
        return Requirement(match["key"], "exists")
    raise bad_request(f"unable to parse requirement: {text!r}")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse the `labelSelector` query syntax; raises ApiError 400 on nonsense."""
    if not text or not text.strip():
        return LabelSelector()
    requirements = []
    for raw in _split_top_level(text):
        part = raw.strip()
        if not part:
            raise bad_request(f"unable to parse requirement: empty requirement in {text!r}")
        requirements.append(_parse_requirement(part))
    return LabelSelector(tuple(requirements))


def label_selector_from_dict(selector: Mapping[str, Any] | None) -> LabelSelector:
    """The structured form (`matchLabels`, `matchExpressions`); None matches nothing, `{}` everything."""
    if selector is None:
        return LabelSelector(matches_nothing=True)
    requirements = [Requirement(k, "in", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise bad_request(f"{expr.get('operator')!r} is not a valid label selector operator")
        requirements.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return LabelSelector(tuple(requirements))


def label_selector_to_string(selector: Mapping[str, Any]) -> str:
    """Render a structured selector in query syntax (what kubectl sends for `rollout undo`)."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr["key"], ",".join(expr.get("values") or ())
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(
                op, f"!{key}"
            )
        )
    return ",".join(parts)


# ---- field selectors -------------------------------------------------------------------------------------

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        *_COMMON_FIELDS,
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "nodes": ("metadata.name", "spec.unschedulable"),
    "namespaces": ("metadata.name", "status.phase"),
    "events": (
        *_COMMON_FIELDS,
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "secrets": (*_COMMON_FIELDS, "type"),
    "replicasets": (*_COMMON_FIELDS, "status.replicas"),
}
_BOOLEAN_FIELDS = {"spec.unschedulable", "spec.hostNetwork"}


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string value of a dotted field as selectors see it (missing → "", booleans → "true"/"false")."""
    if path == "source":
        path = "source.component"
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if path in _BOOLEAN_FIELDS:
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class FieldSelector:
    """A conjunction of (field, op, value) terms with op `=` or `!=`."""

    terms: tuple[tuple[str, str, str], ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """True when every term holds for the object."""
        for path, op, value in self.terms:
            actual = field_value(obj, path)
            if (actual == value) != (op == "="):
                return False
        return True

    def equals(self, path: str) -> str | None:
        """The value a term requires `path` to equal (index look-ups), or None."""
        for term_path, op, value in self.terms:
            if term_path == path and op == "=":
                return value
        return None

    @property
    def empty(self) -> bool:
        """True when the selector matches every object."""
        return not self.terms


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _split_term(part: str, text: str) -> tuple[str, str, str]:
    for token in ("!=", "==", "="):
        index = part.find(token)
        if index > 0:
            op = "!=" if token == "!=" else "="
            return part[:index].strip(), op, _unescape(part[index + len(token) :].strip())
    raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")


def parse_field_selector(text: str | None, resource: str) -> FieldSelector:
    """Parse a `fieldSelector` for a resource; unknown fields or syntax are ApiError 400 BadRequest."""
    if not text or not text.strip():
        return FieldSelector()
    allowed = FIELDS.get(resource, _COMMON_FIELDS)
    terms = []
    for raw in _split_unescaped(text, ","):
        part = raw.strip()
        path, op, value = _split_term(part, text)
        if path not in allowed:
            only = ", ".join(f'"{f}"' for f in allowed)
            raise ApiError(
                400,
                "BadRequest",
                f'Unable to find "{resource}" that match label selector "", field selector "{text}": '
                f'"{path}" is not a known field selector: only {only}',
            )
        terms.append((path, op, value))
    return FieldSelector(tuple(terms))
