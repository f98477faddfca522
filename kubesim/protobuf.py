"""Reads the Kubernetes protobuf request bodies that kubectl's typed `create` subcommands send.

kubectl 1.37 posts `kubectl create namespace|configmap|secret|serviceaccount|deployment|service|pdb`
bodies as `application/vnd.kubernetes.protobuf` and does not fall back to JSON on 415. This module decodes
that envelope (`k8s\\0` + runtime.Unknown{typeMeta, raw}) into the JSON dict the rest of kubesim speaks,
using a small table of field numbers for just those kinds. gogo-protobuf writes zero values, so empty
strings, zeros, false and empty messages are dropped, as Go's `omitempty` JSON would drop them.
"""

from __future__ import annotations

import base64
from typing import Any

from kubesim.errors import ApiError

MAGIC = b"k8s\x00"

# message name -> field number -> (json name, kind); kind is a scalar kind, "map:<value kind>",
# "[]<kind>" for repeated fields, or another message name.
_S, _I, _B, _BYTES = "string", "int", "bool", "bytes"
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", _BYTES)},
    "TypeMeta": {1: ("apiVersion", _S), 2: ("kind", _S)},
    "ObjectMeta": {
        1: ("name", _S),
        2: ("generateName", _S),
        3: ("namespace", _S),
        11: ("labels", "map:string"),
        12: ("annotations", "map:string"),
        14: ("finalizers", "[]string"),
    },
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "map:string"), 3: ("binaryData", "map:bytes")},
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:bytes"),
        3: ("type", _S),
        4: ("stringData", "map:string"),
    },
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {
        1: ("replicas", _I),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", _I),
        6: ("revisionHistoryLimit", _I),
        7: ("paused", _B),
        9: ("progressDeadlineSeconds", _I),
    },
    "DeploymentStrategy": {1: ("type", _S)},
    "LabelSelector": {
        1: ("matchLabels", "map:string"),
        2: ("matchExpressions", "[]LabelSelectorRequirement"),
    },
    "LabelSelectorRequirement": {1: ("key", _S), 2: ("operator", _S), 3: ("values", "[]string")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        2: ("containers", "[]Container"),
        3: ("restartPolicy", _S),
        4: ("terminationGracePeriodSeconds", _I),
        6: ("dnsPolicy", _S),
        7: ("nodeSelector", "map:string"),
        8: ("serviceAccountName", _S),
        10: ("nodeName", _S),
        11: ("hostNetwork", _B),
        19: ("schedulerName", _S),
        20: ("initContainers", "[]Container"),
    },
    "Container": {
        1: ("name", _S),
        2: ("image", _S),
        3: ("command", "[]string"),
        4: ("args", "[]string"),
        5: ("workingDir", _S),
        6: ("ports", "[]ContainerPort"),
        7: ("env", "[]EnvVar"),
        8: ("resources", "ResourceRequirements"),
        14: ("imagePullPolicy", _S),
    },
    "ContainerPort": {1: ("name", _S), 2: ("hostPort", _I), 3: ("containerPort", _I), 4: ("protocol", _S)},
    "EnvVar": {1: ("name", _S), 2: ("value", _S)},
    "ResourceRequirements": {1: ("limits", "map:Quantity"), 2: ("requests", "map:Quantity")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {
        1: ("ports", "[]ServicePort"),
        2: ("selector", "map:string"),
        3: ("clusterIP", _S),
        4: ("type", _S),
        7: ("sessionAffinity", _S),
    },
    "ServicePort": {
        1: ("name", _S),
        2: ("protocol", _S),
        3: ("port", _I),
        4: ("targetPort", "IntOrString"),
        5: ("nodePort", _I),
    },
    "PodDisruptionBudget": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodDisruptionBudgetSpec")},
    "PodDisruptionBudgetSpec": {
        1: ("minAvailable", "IntOrString"),
        2: ("selector", "LabelSelector"),
        3: ("maxUnavailable", "IntOrString"),
        4: ("unhealthyPodEvictionPolicy", _S),
    },
}


def _unsupported(message: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f"the body of the request could not be decoded: {message}")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _unsupported("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, varint value or length-delimited bytes) in order; fixed-width fields are skipped."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            fields.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            fields.append((number, data[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise _unsupported(f"wire type {wire}")
    return fields


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == _I:
        number = int(value) if isinstance(value, int) else 0
        return number - (1 << 64) if number >= 1 << 63 else number
    if kind == _B:
        return bool(value)
    raw = value if isinstance(value, bytes) else b""
    if kind == _BYTES:
        return base64.b64encode(raw).decode()
    return raw.decode()


def _value(kind: str, value: int | bytes) -> Any:
    if kind in (_S, _I, _B, _BYTES):
        return _scalar(kind, value)
    if kind == "Quantity":
        fields = dict(_fields(value if isinstance(value, bytes) else b""))
        text = fields.get(1, b"")
        return text.decode() if isinstance(text, bytes) else ""
    if kind == "IntOrString":
        fields = dict(_fields(value if isinstance(value, bytes) else b""))
        if fields.get(1, 0) == 1:
            text = fields.get(3, b"")
            return text.decode() if isinstance(text, bytes) else ""
        return _scalar(_I, fields.get(2, 0))
    return _message(kind, value if isinstance(value, bytes) else b"")


def _message(name: str, data: bytes) -> Any:
    schema = SCHEMA.get(name, {})
    result: dict[str, Any] = {}
    for number, value in _fields(data):
        if number not in schema:
            continue
        key, kind = schema[number]
        if kind.startswith("map:"):
            entry = dict(_fields(value if isinstance(value, bytes) else b""))
            map_key = _scalar(_S, entry.get(1, b""))
            result.setdefault(key, {})[map_key] = _value(kind[4:], entry.get(2, b""))
        elif kind.startswith("[]"):
            result.setdefault(key, []).append(_value(kind[2:], value))
        else:
            decoded = _value(kind, value)
            if decoded in ("", 0, False, {}, []) and kind not in ("IntOrString",):
                continue
            result[key] = decoded
    return result


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a Kubernetes protobuf body; 415 for anything this table does not cover."""
    if not body.startswith(MAGIC):
        raise _unsupported("missing the k8s protobuf envelope")
    envelope = _message("Unknown", body[len(MAGIC) :])
    type_meta = envelope.get("typeMeta", {})
    kind = type_meta.get("kind", "")
    if kind not in SCHEMA or kind in ("Unknown", "TypeMeta"):
        raise _unsupported(f"kind {kind!r} is only accepted as JSON")
    raw = base64.b64decode(envelope.get("raw", ""))
    obj: dict[str, Any] = {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind}
    obj.update(_message(kind, raw))
    return obj
