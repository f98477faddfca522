"""Small facts about pods and owned objects that several controllers and the eviction handler share."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from kubesim.quantities import int_value, milli_value
from kubesim.selectors import label_selector_from_dict

Obj = dict[str, Any]

POD_TEMPLATE_HASH = "pod-template-hash"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object's metadata (empty dict when absent)."""
    result: dict[str, Any] = obj.get("metadata") or {}
    return result


def name_of(obj: Mapping[str, Any]) -> str:
    """metadata.name."""
    return str(meta(obj).get("name", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """metadata.labels (empty dict when absent)."""
    result: dict[str, str] = meta(obj).get("labels") or {}
    return result


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """metadata.annotations (empty dict when absent)."""
    result: dict[str, str] = meta(obj).get("annotations") or {}
    return result


def creation_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key: oldest first, ties by name (timestamps are RFC 3339, so they sort as text)."""
    return (str(meta(obj).get("creationTimestamp", "")), name_of(obj))


def controller_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            result: dict[str, Any] = ref
            return result
    return None


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    """True when `owner` is the controller of `obj` (matched by uid)."""
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == meta(owner).get("uid")


def controller_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """The ownerReference a controller puts on what it creates."""
    return {
        "apiVersion": owner.get("apiVersion", "apps/v1"),
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": meta(owner)["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selects(selector: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> bool:
    """True when a structured label selector (None matches nothing, {} everything) selects `obj`."""
    return label_selector_from_dict(selector).matches(labels_of(obj))


def is_terminating(pod: Mapping[str, Any]) -> bool:
    """True once the pod has a deletionTimestamp."""
    return meta(pod).get("deletionTimestamp") is not None


def phase_of(pod: Mapping[str, Any]) -> str:
    """status.phase, "Pending" when unset."""
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_terminal(pod: Mapping[str, Any]) -> bool:
    """True for pods that finished (Succeeded or Failed)."""
    return phase_of(pod) in ("Succeeded", "Failed")


def is_active(pod: Mapping[str, Any]) -> bool:
    """Counted by controllers: neither terminating nor finished (`controller.FilterActivePods`)."""
    return not is_terminating(pod) and not is_terminal(pod)


def get_condition(obj: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """The status condition of a type, if present."""
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            result: dict[str, Any] = condition
            return result
    return None


def condition_true(obj: Mapping[str, Any], kind: str) -> bool:
    """True when the condition of that type has status "True"."""
    condition = get_condition(obj, kind)
    return condition is not None and condition.get("status") == "True"


def is_ready(pod: Mapping[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    return condition_true(pod, "Ready")


def ready_since(pod: Mapping[str, Any]) -> str | None:
    """lastTransitionTime of a True Ready condition."""
    condition = get_condition(pod, "Ready")
    if condition is None or condition.get("status") != "True":
        return None
    stamp = condition.get("lastTransitionTime")
    return None if stamp is None else str(stamp)


def set_condition(status: dict[str, Any], condition: dict[str, Any], *, now: str) -> None:
    """Replace a condition of the same type wholesale; lastTransitionTime moves only when status flips."""
    conditions: list[dict[str, Any]] = status.setdefault("conditions", [])
    for index, existing in enumerate(conditions):
        if existing.get("type") != condition["type"]:
            continue
        same = existing.get("status") == condition.get("status") and "lastTransitionTime" in existing
        conditions[index] = {
            **condition,
            "lastTransitionTime": existing["lastTransitionTime"] if same else now,
        }
        return
    conditions.append({**condition, "lastTransitionTime": now})


def pod_requests(pod: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, bytes) a pod requests; limits stand in for missing requests, as API defaulting does."""
    cpu = memory = 0
    for container in (pod.get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        wanted = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        cpu += milli_value(wanted.get("cpu", 0))
        memory += int_value(wanted.get("memory", 0))
    return cpu, memory


def tolerates(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """True when one toleration matches the taint (key, effect, operator Exists/Equal and value)."""
    for toleration in tolerations:
        effect = toleration.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        key = toleration.get("key")
        operator = toleration.get("operator") or "Equal"
        if not key:
            if operator == "Exists":
                return True
            continue
        if key != taint.get("key"):
            continue
        if operator == "Exists" or (toleration.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def blocking_taints(
    node: Mapping[str, Any], tolerations: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """NoSchedule/NoExecute taints of the node that the tolerations do not cover."""
    tolerations = list(tolerations)
    return [
        taint
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint)
    ]


def node_selector_matches(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """True when the node carries every label of the pod's nodeSelector."""
    labels = labels_of(node)
    return all(labels.get(k) == v for k, v in (pod_spec.get("nodeSelector") or {}).items())


def _prune(value: Any) -> Any:
    """Drop nulls and empty maps/lists, which the API treats as absent when comparing."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def template_without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a pod template minus the pod-template-hash label."""
    result = copy.deepcopy(dict(template))
    labels = (result.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return result


def templates_equal_ignoring_hash(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """`EqualIgnoreHash`: semantic equality of two pod templates, ignoring pod-template-hash."""
    return bool(_prune(template_without_hash(left)) == _prune(template_without_hash(right)))
