"""Changing a Deployment's spec with kubectl's semantics: ``scale`` (the scale subresource), ``image``
(a strategic merge patch, then the rollout followed to its end) and ``strategy`` (RollingUpdate or
Recreate). Each computes its :class:`~workers.plans.Plan` first and checks its lock before writing.
"""

from __future__ import annotations

from typing import Any

from shared.messages import deployments as deployment_wording
from workers import cluster, rollouts
from workers.access import rehearse
from workers.deployments import FOLLOW_SECONDS, Target, follow, plan_for, show_plan, status_text
from workers.errors import JobError
from workers.kube import read, retry_on_conflict, write
from workers.locks import Guard
from workers.plans import Plan
from workers.report import Reporter


def scale(
    target: Target, *, replicas: int, dry_run: bool, reporter: Reporter, guard: Guard
) -> dict[str, Any]:
    """Set the replica count through the scale subresource."""
    current_scale: dict[str, Any] = read(
        cluster.apps().read_namespaced_deployment_scale, target.name, target.namespace, missing=target.missing
    )
    current = int((current_scale.get("spec") or {}).get("replicas") or 0)
    plan = Plan(action="scale", target=target.key)
    plan.saw("deployment", current_scale)
    plan.text = deployment_wording.scale_plan(target.name, current=current, wanted=replicas)
    plan.details = {"current": current, "replicas": replicas}
    if dry_run:
        rehearse(
            write,
            cluster.apps().patch_namespaced_deployment_scale,
            target.name,
            target.namespace,
            {"spec": {"replicas": replicas}},
            missing=target.missing,
        )
    show_plan(plan, reporter, dry_run=dry_run)
    if dry_run:
        return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
    if current == replicas:
        reporter.progress(deployment_wording.scale_unchanged(target.name, replicas))
        return {"deployment": target.name, "changed": False, "replicas": replicas, "plan": plan.to_json()}
    guard.check()
    write(
        cluster.apps().patch_namespaced_deployment_scale,
        target.name,
        target.namespace,
        {"spec": {"replicas": replicas}},
        missing=target.missing,
    )
    reporter.progress(deployment_wording.scaled(target.name, current=current, wanted=replicas))
    return {"deployment": target.name, "changed": True, "replicas": replicas, "plan": plan.to_json()}


def _container(deployment: dict[str, Any], name: str | None, deployment_name: str) -> dict[str, Any]:
    containers = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or []
    names = [str(c.get("name")) for c in containers]
    if name is None:
        if len(containers) != 1:
            raise JobError(deployment_wording.container_ambiguous(deployment_name, names))
        found: dict[str, Any] = containers[0]
        return found
    for container in containers:
        if container.get("name") == name:
            return dict(container)
    raise JobError(deployment_wording.container_not_found(deployment_name, name, names))


def image(
    target: Target,
    *,
    image: str,
    container: str | None,
    dry_run: bool,
    reporter: Reporter,
    guard: Guard,
    follow_seconds: float = FOLLOW_SECONDS,
) -> dict[str, Any]:
    """Set a container's image (strategic merge patch), then follow the rollout to its end."""
    deployment = target.read()
    chosen = _container(deployment, container, target.name)
    name, old = str(chosen.get("name")), str(chosen.get("image"))
    strategy = deployment_wording.describe_strategy((deployment.get("spec") or {}).get("strategy") or {})
    plan = plan_for("image", target, deployment)
    plan.text = deployment_wording.image_plan(
        target.name, container=name, old=old, new=image, strategy=strategy
    )
    plan.details = {"container": name, "old_image": old, "new_image": image, "strategy": strategy}
    body = {"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}
    if dry_run:
        target.rehearse(body)
    show_plan(plan, reporter, dry_run=dry_run)
    if dry_run:
        return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
    if old == image:
        reporter.progress(deployment_wording.image_unchanged(target.name, container=name, image=image))
        return {"deployment": target.name, "changed": False, "plan": plan.to_json()}
    guard.check()
    patched = target.patch(body)
    reporter.progress(deployment_wording.image_updated(target.name, container=name, image=image))
    result = {
        "deployment": target.name,
        "changed": True,
        "container": name,
        "image": image,
        "plan": plan.to_json(),
    }
    if (patched.get("spec") or {}).get("paused"):
        return {**result, "rollout": "paused"}
    outcome = follow(target, seconds=follow_seconds, reporter=reporter)
    if outcome.failed:
        raise JobError(
            deployment_wording.rollout_failed(
                target.name, last=deployment_wording.status_deadline(target.name)
            )
        )
    if not outcome.done:
        raise JobError(
            deployment_wording.status_gave_up(
                target.name, seconds=follow_seconds, last=status_text(target.name, outcome)
            )
        )
    reporter.progress(deployment_wording.image_rolled_out(target.name, container=name, image=image))
    return {**result, "rollout": "complete"}


ROLLING = "RollingUpdate"
RECREATE = "Recreate"


def normalise_strategy(value: str) -> str:
    """``rolling``/``RollingUpdate`` → ``RollingUpdate``; ``recreate``/``Recreate`` → ``Recreate``."""
    lowered = value.strip().lower()
    if lowered in {"rolling", "rollingupdate", "rolling-update"}:
        return ROLLING
    if lowered == "recreate":
        return RECREATE
    raise JobError(f"unknown strategy {value!r}: use rolling or recreate")


def new_strategy(
    current: dict[str, Any], kind: str, *, max_surge: int | str | None, max_unavailable: int | str | None
) -> dict[str, Any]:
    """The whole ``spec.strategy`` after the change (Recreate carries no ``rollingUpdate``)."""
    if kind == RECREATE:
        return {"type": RECREATE}
    limits = dict(current.get("rollingUpdate") or {}) if current.get("type", ROLLING) == ROLLING else {}
    if max_surge is not None:
        limits["maxSurge"] = max_surge
    if max_unavailable is not None:
        limits["maxUnavailable"] = max_unavailable
    return {"type": ROLLING, "rollingUpdate": limits} if limits else {"type": ROLLING}


def strategy(
    target: Target,
    *,
    kind: str,
    max_surge: int | str | None,
    max_unavailable: int | str | None,
    dry_run: bool,
    reporter: Reporter,
    guard: Guard,
) -> dict[str, Any]:
    """Switch RollingUpdate/Recreate; replaces ``spec.strategy`` whole (JSON Patch) so Recreate drops rollingUpdate."""
    wanted_kind = normalise_strategy(kind)

    def attempt() -> dict[str, Any]:
        deployment = target.read()
        current = dict((deployment.get("spec") or {}).get("strategy") or {"type": ROLLING})
        wanted = new_strategy(current, wanted_kind, max_surge=max_surge, max_unavailable=max_unavailable)
        old_text, new_text = (
            deployment_wording.describe_strategy(current),
            deployment_wording.describe_strategy(wanted),
        )
        plan = plan_for("strategy", target, deployment)
        plan.text = deployment_wording.strategy_plan(target.name, old=old_text, new=new_text)
        plan.details = {"old": current, "new": wanted}
        if dry_run:
            target.rehearse([{"op": "replace", "path": "/spec/strategy", "value": wanted}])
        show_plan(plan, reporter, dry_run=dry_run)
        if wanted_kind == RECREATE and current.get("type", ROLLING) != RECREATE:
            reporter.warning(deployment_wording.recreate_downtime(target.name))
        if dry_run:
            return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
        if rollouts.normalised(current) == rollouts.normalised(wanted):
            reporter.progress(deployment_wording.strategy_unchanged(target.name, new_text))
            return {"deployment": target.name, "changed": False, "plan": plan.to_json()}
        guard.check()
        target.patch([{"op": "replace", "path": "/spec/strategy", "value": wanted}])
        reporter.progress(deployment_wording.strategy_changed(target.name, new_text))
        return {"deployment": target.name, "changed": True, "strategy": wanted, "plan": plan.to_json()}

    return retry_on_conflict(attempt)
