"""Deployments, ReplicaSets, StatefulSets and DaemonSets (pkg/apis/apps/validation): replicas, the selector
and its template, the rollout strategy, and what may not change once created."""

from __future__ import annotations

from typing import Any

from kubesim.selectors import label_selector_from_dict
from kubesim.validation import field, meta, pods
from kubesim.validation.field import Cause

_STATEFULSET_SPEC = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
"""What an update may change in a StatefulSet's spec."""


def _selector(spec: dict[str, Any], kind: str) -> list[Cause]:
    selector = spec.get("selector")
    if selector is None:
        return [field.required("spec.selector")]
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        return [field.invalid("spec.selector", selector, f"empty selector is invalid for {kind}")]
    return meta.labels(selector.get("matchLabels"), "spec.selector.matchLabels")


def _template(spec: dict[str, Any]) -> list[Cause]:
    template = spec.get("template")
    if not isinstance(template, dict):
        return [field.required("spec.template")]
    labels = (template.get("metadata") or {}).get("labels")
    causes = meta.labels(labels, "spec.template.metadata.labels")
    selector = spec.get("selector")
    matches = isinstance(selector, dict) and label_selector_from_dict(selector).matches(labels or {})
    if not matches:  # a missing selector selects nothing
        shown = field.NULL if labels is None else labels
        causes.append(
            field.invalid(
                "spec.template.metadata.labels", shown, "`selector` does not match template `labels`"
            )
        )
    causes += pods.pod_spec(template.get("spec"), "spec.template.spec", pod=False)
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in (None, "Always"):
        causes.append(field.not_supported("spec.template.spec.restartPolicy", policy, ("Always",)))
    return causes


def _percent_or_int(value: Any) -> tuple[int, bool]:
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return int(value[:-1]), True
    return (value, False) if isinstance(value, int) else (0, False)


def _rolling_update(spec: dict[str, Any]) -> list[Cause]:
    strategy = spec.get("strategy") or {}
    rolling = strategy.get("rollingUpdate")
    path = "spec.strategy.rollingUpdate"
    if strategy.get("type") == "Recreate":
        if rolling is not None:
            return [field.forbidden(path, "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if not isinstance(rolling, dict):
        return []
    causes: list[Cause] = []
    surge, surge_percent = _percent_or_int(rolling.get("maxSurge"))
    unavailable, unavailable_percent = _percent_or_int(rolling.get("maxUnavailable"))
    for key, number in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        causes += field.non_negative(f"{path}.{key}", number)
    if unavailable_percent and unavailable > 100:
        causes.append(
            field.invalid(
                f"{path}.maxUnavailable", rolling["maxUnavailable"], "must not be greater than 100%"
            )
        )
    if surge == 0 and unavailable == 0 and "maxUnavailable" in rolling:
        causes.append(
            field.invalid(
                f"{path}.maxUnavailable", rolling["maxUnavailable"], "may not be 0 when `maxSurge` is 0"
            )
        )
    del surge_percent
    return causes


def workload(resource: str, obj: dict[str, Any]) -> list[Cause]:
    """A workload's spec on create and update."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [field.required("spec.selector")]
    kind = "deployment" if resource == "replicasets" else resource[:-1]  # sic, as the server says
    causes = field.non_negative("spec.replicas", spec.get("replicas")) if resource != "daemonsets" else []
    causes += _selector(spec, kind) + _template(spec)
    if resource == "deployments":
        causes += _rolling_update(spec)
        for key in ("revisionHistoryLimit", "progressDeadlineSeconds", "minReadySeconds"):
            causes += field.non_negative(f"spec.{key}", spec.get(key))
    return causes


def workload_update(resource: str, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """What an update may not change: the selector (apps/v1), and most of a StatefulSet's spec."""
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    if resource == "statefulsets":
        rest = {k: v for k, v in spec.items() if k not in _STATEFULSET_SPEC}
        rest_before = {k: v for k, v in before.items() if k not in _STATEFULSET_SPEC}
        if rest != rest_before:
            allowed = "', '".join(_STATEFULSET_SPEC[:-1])
            return [
                field.forbidden(
                    "spec",
                    f"updates to statefulset spec for fields other than '{allowed}' and "
                    f"'{_STATEFULSET_SPEC[-1]}' are forbidden",
                )
            ]
        return []
    if spec.get("selector") != before.get("selector"):
        return [field.immutable("spec.selector", spec.get("selector"))]
    return []
