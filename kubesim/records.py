"""What the store passes around about objects: deep copies of JSON data, compact encodings (sliced into
list items), committed events and continue tokens. How stored objects are kept is `kubesim.entries`."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from kubesim import errors
from kubesim.resources import ResourceType

_T = TypeVar("_T")
Obj = dict[str, Any]


def clone(value: _T) -> _T:
    """A deep copy of JSON-like data (dicts, lists, scalars); about four times faster than copy.deepcopy."""
    return cast(_T, _clone(value))


def _clone(value: Any) -> Any:
    if type(value) is dict:
        return {k: _clone(v) for k, v in value.items()}
    if type(value) is list:
        return [_clone(v) for v in value]
    return value


def encode(obj: Any) -> bytes:
    """Compact JSON bytes, as every response body is written."""
    return json.dumps(obj, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Event:
    """One committed write: the object after it (`obj`) and, for MODIFIED, before it (`old`). Never mutate."""

    resource_version: int
    type: str
    resource: str
    obj: Obj
    old: Obj | None = None


def owner_uids(obj: Obj) -> set[str]:
    return {ref["uid"] for ref in obj.get("metadata", {}).get("ownerReferences") or [] if ref.get("uid")}


def kind_first(obj: Obj, rt: ResourceType) -> None:
    """Set kind and apiVersion as the first keys, in place, as the API server writes an object (and so
    that a list can serve a stored encoding without them: see `list_item`)."""
    rest = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
    obj.clear()
    obj["kind"] = rt.kind
    obj["apiVersion"] = rt.api_version
    obj.update(rest)


def list_item(rt: ResourceType, raw: bytes) -> bytes:
    """A stored object's encoding as a list item: without kind and apiVersion, as kube-apiserver lists."""
    prefix = f'{{"kind":"{rt.kind}","apiVersion":"{rt.api_version}",'.encode()
    if raw.startswith(prefix):
        return b"{" + raw[len(prefix) :]
    obj = json.loads(raw)
    return encode({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")})


def finalized(obj: Obj) -> bool:
    """No finalizer holds the object (a namespace's own spec.finalizers included)."""
    if obj["metadata"].get("finalizers"):
        return False
    return obj.get("kind") != "Namespace" or not (obj.get("spec") or {}).get("finalizers")


def encode_continue(namespace: str, name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([namespace, name]).encode()).decode()


def decode_continue(token: str) -> tuple[str, str]:
    try:
        namespace, name = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError, binascii.Error) as e:
        raise errors.bad_request(f"invalid continue token: {e}") from e
    return str(namespace), str(name)
