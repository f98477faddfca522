"""Stable short hashes for pod templates: the `pod-template-hash` and `controller-revision-hash` labels.

Like the real controllers (`controller.ComputeHash`), the hash is FNV-32a over the template (here its
canonical JSON) and the collision count, rendered with the "safe" alphabet of `rand.SafeEncodeString` so the
result never spells words or looks like a number.
"""

from __future__ import annotations

import json
from typing import Any

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(data: bytes) -> int:
    """The 32-bit FNV-1a hash of some bytes."""
    value = _FNV_OFFSET
    for byte in data:
        value ^= byte
        value = (value * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """Map each character onto the consonant-and-digit alphabet (`rand.SafeEncodeString`)."""
    return "".join(_SAFE_ALPHABET[ord(char) % len(_SAFE_ALPHABET)] for char in text)


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """The hash naming a ReplicaSet (or revision) made from this pod template."""
    payload = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        payload += collision_count.to_bytes(4, "little")
    return safe_encode(str(fnv32a(payload)))
