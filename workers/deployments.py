"""Deployment operations with kubectl's semantics: rollback, history, status, restart, scale, image,
strategy, pause and resume. Each mutating one computes a :class:`~workers.plans.Plan` first (shown
alone on a dry run) and checks its lock before writing.

Writes are the requests kubectl sends: a JSON Patch for ``rollout undo``, strategic merge patches
with ``fieldManager=kubectl-rollout`` for restart/pause/resume, the scale subresource for ``scale``.
Read-modify-write steps re-read and re-apply on a 409 Conflict.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from shared.messages import deployments as deployment_wording
from workers import cluster, rollouts, selectors
from workers.access import rehearse
from workers.errors import Cancelled, JobError
from workers.kube import list_all, read, retry_on_conflict, write
from workers.locks import Guard
from workers.plans import Plan
from workers.report import Reporter
from workers.watching import Follower

STATUS_WAIT_SECONDS = 120.0
"""How long ``status`` watches a rollout before saying where it stands."""

FOLLOW_SECONDS = 900.0
"""How long ``image`` follows its rollout at most (the progress deadline normally ends it sooner)."""

POLL_SECONDS = 0.5
"""How often a followed rollout is read again."""

FIELD_MANAGER = "kubectl-rollout"


class Target:
    """One Deployment named in a command."""

    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace

    @property
    def missing(self) -> str:
        """The sentence for a 404."""
        return deployment_wording.deployment_not_found(self.name, self.namespace)

    @property
    def key(self) -> str:
        """The lock name of this Deployment."""
        return f"deployment/{self.namespace}/{self.name}"

    def read(self) -> dict[str, Any]:
        """The Deployment as JSON."""
        found: dict[str, Any] = read(
            cluster.apps().read_namespaced_deployment, self.name, self.namespace, missing=self.missing
        )
        return found

    def replicasets(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        """Its ReplicaSets: listed by its selector, kept if it controls them (as kubectl)."""
        selector = (deployment.get("spec") or {}).get("selector") or {}
        items, _ = list_all(
            cluster.apps().list_namespaced_replica_set,
            self.namespace,
            missing=self.missing,
            label_selector=selectors.to_query(selector),
        )
        return rollouts.owned_replicasets(deployment, items)

    def patch(self, body: Any, **options: Any) -> dict[str, Any]:
        """PATCH the Deployment (a dict: strategic merge; a list: JSON Patch)."""
        patched: dict[str, Any] = write(
            cluster.apps().patch_namespaced_deployment,
            self.name,
            self.namespace,
            body,
            missing=self.missing,
            **options,
        )
        return patched

    def rehearse(self, body: Any, **options: Any) -> None:
        """For a plan acting as a person: the same PATCH with ``dryRun=All`` (see :func:`rehearse`)."""
        rehearse(self.patch, body, **options)


def _plan(action: str, target: Target, deployment: dict[str, Any]) -> Plan:
    plan = Plan(action=action, target=target.key)
    plan.saw("deployment", deployment)
    return plan


def _show(plan: Plan, reporter: Reporter, *, dry_run: bool) -> None:
    """Show the plan on a dry run; otherwise check it still matches an approved one before acting."""
    if dry_run:
        reporter.emit_plan(plan.text, plan=plan.to_json())
    else:
        reporter.confirm_plan(plan.to_json())


def status_text(name: str, status: rollouts.RolloutStatus) -> str:
    """kubectl's sentence for a rollout status reading."""
    n = status.numbers
    texts: dict[str, Callable[[], str]] = {
        "waiting-spec": deployment_wording.status_waiting_spec,
        "deadline": lambda: deployment_wording.status_deadline(name),
        "updated": lambda: deployment_wording.status_updated(name, n[0], n[1]),
        "old-pending": lambda: deployment_wording.status_old_pending(name, n[0]),
        "available": lambda: deployment_wording.status_available(name, n[0], n[1]),
        "done": lambda: deployment_wording.status_done(name),
    }
    return texts[status.kind]()


def follow(target: Target, *, seconds: float, reporter: Reporter) -> rollouts.RolloutStatus:
    """Follow a rollout by reading the Deployment again (polling, so ``image`` needs no watch right)
    until done, failed, or ``seconds`` pass; reports each new status."""
    deadline = time.monotonic() + seconds
    said = ""
    while True:
        status = rollouts.rollout_status(target.read())
        text = status_text(target.name, status)
        if text != said:
            reporter.progress(text)
            said = text
        if status.done or status.failed or time.monotonic() >= deadline:
            return status
        if reporter.cancel_requested():
            raise Cancelled(deployment_wording.follow_cancelled(target.name, last=text))
        time.sleep(POLL_SECONDS)


def status(target: Target, *, reporter: Reporter, seconds: float = STATUS_WAIT_SECONDS) -> dict[str, Any]:
    """``rollout status``: follow the rollout as kubectl does (list, then watch, relisting on 410 Gone)
    for up to ``seconds``, reporting each new status."""
    follower = Follower(
        cluster.apps().list_namespaced_deployment, target.namespace, target.name, missing=target.missing
    )
    said = ""
    for deployment in follower.states(deadline=time.monotonic() + seconds, stop=reporter.cancel_requested):
        reading = rollouts.rollout_status(deployment)
        said_now = status_text(target.name, reading)
        if said_now != said:
            reporter.progress(said_now)
            said = said_now
        if reading.failed:
            raise JobError(deployment_wording.status_deadline(target.name))
        if reading.done:
            return {
                "deployment": target.name,
                "namespace": target.namespace,
                "done": True,
                "relists": follower.relists,
            }
    if reporter.cancel_requested():
        raise Cancelled(deployment_wording.follow_cancelled(target.name, last=said))
    raise JobError(deployment_wording.status_gave_up(target.name, seconds=seconds, last=said))


def history(target: Target, *, reporter: Reporter) -> dict[str, Any]:
    """``rollout history``: revisions and their change causes."""
    deployment = target.read()
    rows = rollouts.history_rows(target.replicasets(deployment))
    reporter.progress(deployment_wording.history_table(target.name, rows))
    return {"deployment": target.name, "revisions": [{"revision": r, "change_cause": c} for r, c in rows]}


def rollback(
    target: Target, *, to_revision: int | None, dry_run: bool, reporter: Reporter, guard: Guard
) -> dict[str, Any]:
    """``rollout undo``: revision choice, paused refusal, skip check, then kubectl's JSON Patch."""
    wanted = to_revision or 0

    def attempt() -> dict[str, Any]:
        deployment = target.read()
        replicasets = target.replicasets(deployment)
        try:
            chosen = rollouts.choose_revision(replicasets, wanted, deployment_name=target.name)
        except rollouts.RolloutError as error:
            raise JobError(str(error)) from error
        revision = rollouts.revision_of(chosen)
        current_template = (deployment.get("spec") or {}).get("template") or {}
        target_template = (chosen.get("spec") or {}).get("template") or {}
        changes = rollouts.template_changes(current_template, target_template)
        plan = _plan("rollback", target, deployment)
        plan.saw("replicaset", chosen)
        plan.text = deployment_wording.rollback_plan(target.name, revision=revision, changes=changes)
        plan.details = {
            "revision": revision,
            "from_revision": rollouts.revision_of(deployment),
            "changes": changes,
        }
        if dry_run and not rollouts.templates_equal(target_template, current_template):
            target.rehearse(rollouts.undo_patch(deployment, chosen))
        _show(plan, reporter, dry_run=dry_run)
        if dry_run:
            return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
        if (deployment.get("spec") or {}).get("paused"):
            raise JobError(deployment_wording.rollback_paused(target.name))
        if rollouts.templates_equal(target_template, current_template):
            reporter.progress(deployment_wording.skipped_rollback(wanted))
            return {"deployment": target.name, "changed": False, "skipped": True, "plan": plan.to_json()}
        guard.check()
        target.patch(rollouts.undo_patch(deployment, chosen))
        reporter.progress(deployment_wording.rolled_back(target.name, revision=revision))
        return {"deployment": target.name, "changed": True, "revision": revision, "plan": plan.to_json()}

    return retry_on_conflict(attempt)


def restart(target: Target, *, dry_run: bool, reporter: Reporter, guard: Guard) -> dict[str, Any]:
    """``rollout restart``: stamp ``kubectl.kubernetes.io/restartedAt`` on the pod template."""
    deployment = target.read()
    plan = _plan("restart", target, deployment)
    plan.text = deployment_wording.restart_plan(target.name)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
    if dry_run:
        target.rehearse(body, field_manager=FIELD_MANAGER)
    _show(plan, reporter, dry_run=dry_run)
    if dry_run:
        return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
    if (deployment.get("spec") or {}).get("paused"):
        raise JobError(deployment_wording.restart_paused(target.name))
    guard.check()
    target.patch(body, field_manager=FIELD_MANAGER)
    reporter.progress(deployment_wording.restarted(target.name))
    return {"deployment": target.name, "changed": True, "restarted_at": stamp, "plan": plan.to_json()}


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
    _show(plan, reporter, dry_run=dry_run)
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
    plan = _plan("image", target, deployment)
    plan.text = deployment_wording.image_plan(
        target.name, container=name, old=old, new=image, strategy=strategy
    )
    plan.details = {"container": name, "old_image": old, "new_image": image, "strategy": strategy}
    body = {"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}
    if dry_run:
        target.rehearse(body)
    _show(plan, reporter, dry_run=dry_run)
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
        plan = _plan("strategy", target, deployment)
        plan.text = deployment_wording.strategy_plan(target.name, old=old_text, new=new_text)
        plan.details = {"old": current, "new": wanted}
        if dry_run:
            target.rehearse([{"op": "replace", "path": "/spec/strategy", "value": wanted}])
        _show(plan, reporter, dry_run=dry_run)
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


def pause(target: Target, *, dry_run: bool, reporter: Reporter, guard: Guard) -> dict[str, Any]:
    """``rollout pause``; already paused is not an error."""
    deployment = target.read()
    plan = _plan("pause", target, deployment)
    plan.text = deployment_wording.pause_plan(target.name)
    if (deployment.get("spec") or {}).get("paused"):
        reporter.progress(deployment_wording.already_paused(target.name))
        return {"deployment": target.name, "changed": False, "plan": plan.to_json()}
    if dry_run:
        target.rehearse({"spec": {"paused": True}}, field_manager=FIELD_MANAGER)
    _show(plan, reporter, dry_run=dry_run)
    if dry_run:
        return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
    guard.check()
    target.patch({"spec": {"paused": True}}, field_manager=FIELD_MANAGER)
    reporter.progress(deployment_wording.paused(target.name))
    return {"deployment": target.name, "changed": True, "plan": plan.to_json()}


def resume(target: Target, *, dry_run: bool, reporter: Reporter, guard: Guard) -> dict[str, Any]:
    """``rollout resume``; resuming a deployment that is not paused is an error, as in kubectl."""
    deployment = target.read()
    if not (deployment.get("spec") or {}).get("paused"):
        raise JobError(deployment_wording.not_paused(target.name))
    plan = _plan("resume", target, deployment)
    plan.text = deployment_wording.resume_plan(target.name)
    if dry_run:
        target.rehearse({"spec": {"paused": None}}, field_manager=FIELD_MANAGER)
    _show(plan, reporter, dry_run=dry_run)
    if dry_run:
        return {"deployment": target.name, "dry_run": True, "plan": plan.to_json()}
    guard.check()
    target.patch({"spec": {"paused": None}}, field_manager=FIELD_MANAGER)
    reporter.progress(deployment_wording.resumed(target.name))
    return {"deployment": target.name, "changed": True, "plan": plan.to_json()}
