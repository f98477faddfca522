"""Kubernetes quantities ("250m", "128Mi") and int-or-percent values ("25%"), as the controllers need them."""

from __future__ import annotations

import math
import re
from decimal import Decimal

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY_RE = re.compile(r"^(?P<number>[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)(?P<suffix>[a-zA-Z]*)$")


def parse_quantity(value: str | int | float) -> Decimal:
    """The numeric value of a quantity; raises ValueError for malformed text."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY_RE.match(value.strip())
    if match is None or match["suffix"] not in _SUFFIXES:
        raise ValueError(f"quantities must match the regular expression {_QUANTITY_RE.pattern!r}: {value!r}")
    return Decimal(match["number"]) * _SUFFIXES[match["suffix"]]


def milli_value(value: str | int | float) -> int:
    """A quantity in thousandths, rounded up (CPU requests are compared in millicores)."""
    return math.ceil(parse_quantity(value) * 1000)


def int_value(value: str | int | float) -> int:
    """A quantity as a whole number, rounded up (memory bytes, pod counts)."""
    return math.ceil(parse_quantity(value))


def scaled_value(value: int | str | None, total: int, *, round_up: bool, default: int | str = 0) -> int:
    """Resolve an int-or-percent against `total` (apimachinery `GetScaledValueFromIntOrPercent`)."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        return int(text)
    percent = int(text[:-1])
    exact = Decimal(percent) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)
