"""Field errors as apimachinery's `field.Error` renders them: a cause ``{reason, message, field}`` whose
message is the error body (``Invalid value: -1: must be greater than or equal to 0``).

The reason is the wire name of the error's type (``FieldValueInvalid``); the value is printed as Go
prints it: numbers and booleans plainly, strings quoted, anything else as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

Cause = dict[str, str]
"""One metav1.StatusCause: reason, message, field (in the server's order)."""

NULL = object()
"""A value that is absent (a nil map), printed ``null``."""


def _value(value: Any) -> str:
    if value is NULL:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return '"null"'
    return json.dumps(value, separators=(",", ":"), sort_keys=isinstance(value, dict))


def _cause(reason: str, body: str, detail: str, path: str) -> Cause:
    return {"reason": reason, "message": f"{body}: {detail}" if detail else body, "field": path}


def required(path: str, detail: str = "") -> Cause:
    """``Required value``."""
    return _cause("FieldValueRequired", "Required value", detail, path)


def invalid(path: str, value: Any, detail: str) -> Cause:
    """``Invalid value: <value>: <detail>``."""
    return _cause("FieldValueInvalid", f"Invalid value: {_value(value)}", detail, path)


def forbidden(path: str, detail: str) -> Cause:
    """``Forbidden: <detail>``."""
    return _cause("FieldValueForbidden", "Forbidden", detail, path)


def duplicate(path: str, value: Any) -> Cause:
    """``Duplicate value: <value>``."""
    return _cause("FieldValueDuplicate", f"Duplicate value: {_value(value)}", "", path)


def not_supported(path: str, value: Any, supported: tuple[str, ...]) -> Cause:
    """``Unsupported value: <value>: supported values: "a", "b"``."""
    listed = ", ".join(json.dumps(s) for s in supported)
    return _cause(
        "FieldValueNotSupported", f"Unsupported value: {_value(value)}", f"supported values: {listed}", path
    )


def immutable(path: str, value: Any) -> Cause:
    """``Invalid value: <value>: field is immutable`` (apimachinery's ValidateImmutableField)."""
    return invalid(path, value, "field is immutable")


def non_negative(path: str, value: Any) -> list[Cause]:
    """apimachinery's ValidateNonnegativeField."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []
