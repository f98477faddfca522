"""Pod specs, alone (a Pod) or as a workload's template (ValidatePodSpec and ValidatePodTemplateSpec, the
parts clients meet)."""

from __future__ import annotations

from typing import Any

from kubesim.validation import field, names
from kubesim.validation.field import Cause

RESTART_POLICIES = ("Always", "OnFailure", "Never")


def _containers(spec: dict[str, Any], path: str, *, pod: bool) -> list[Cause]:
    containers = spec.get("containers")
    if not containers:
        return [field.required(f"{path}.containers")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for index, container in enumerate(containers if isinstance(containers, list) else []):
        where = f"{path}.containers[{index}]"
        if not isinstance(container, dict):
            continue
        name = container.get("name") or ""
        if not name:
            causes.append(field.required(f"{where}.name"))
        else:
            causes += [field.invalid(f"{where}.name", name, p) for p in names.dns1123_label(str(name))]
            if name in seen:
                causes.append(field.duplicate(f"{where}.name", name))
            seen.add(str(name))
        if pod and not container.get("image"):
            causes.append(field.required(f"{where}.image"))
    return causes


def pod_spec(spec: Any, path: str, *, pod: bool) -> list[Cause]:
    """A pod spec's containers (an image is required of a Pod's, not of a template's) and restartPolicy."""
    if not isinstance(spec, dict):
        return [field.required(f"{path}.containers")]
    causes = _containers(spec, path, pod=pod)
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in RESTART_POLICIES:
        causes.append(field.not_supported(f"{path}.restartPolicy", policy, RESTART_POLICIES))
    return causes


def pod(obj: dict[str, Any]) -> list[Cause]:
    """A Pod's spec."""
    return pod_spec(obj.get("spec"), "spec", pod=True)
