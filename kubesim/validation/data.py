"""ConfigMaps and Secrets: their keys, and the ``immutable`` flag that freezes them."""

from __future__ import annotations

from typing import Any

from kubesim.validation import field, names
from kubesim.validation.field import Cause

DATA_FIELDS = ("data", "binaryData", "stringData")


def data(obj: dict[str, Any]) -> list[Cause]:
    """Every key of data (and binaryData) a valid config key."""
    causes: list[Cause] = []
    for name in DATA_FIELDS:
        for key in obj.get(name) or {}:
            causes += [field.invalid(f"{name}[{key}]", key, p) for p in names.config_key(str(key))]
    return causes


def data_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Once ``immutable`` is true, the data and the flag itself stay as they are."""
    if not old.get("immutable"):
        return []
    causes: list[Cause] = []
    if not new.get("immutable"):
        causes.append(field.forbidden("immutable", "field is immutable when `immutable` is set"))
    for name in ("data", "binaryData"):
        if new.get(name) != old.get(name):
            causes.append(field.forbidden(name, "field is immutable when `immutable` is set"))
    return causes
