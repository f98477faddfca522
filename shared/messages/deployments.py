"""Sentences about deployments: rollbacks, history, rollout status, restart, pause and resume, scale and
image, as workers report them.

Where kubectl has a well-known wording (``skipped rollback ...``, ``deployment "web" successfully rolled
out``) we keep it, so people recognise it; the rest says what happened and what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.text_safety import code

# --- deployments -------------------------------------------------------------------------------------


def deployment_not_found(deployment: str, namespace: str) -> str:
    """404 on the deployment."""
    return f"There is no deployment {code(deployment)} in namespace {code(namespace)}."


def no_history() -> str:
    """kubectl's rollback error with no other revision."""
    return "no rollout history found for deployment"


def revision_not_found(revision: int) -> str:
    """kubectl's --to-revision error."""
    return f"unable to find specified revision {revision} in history"


def rollback_paused(deployment: str) -> str:
    """kubectl refuses to roll back a paused deployment."""
    return (
        f"you cannot rollback a paused deployment; resume it first with {code('resume ' + deployment)} "
        "and try again"
    )


def skipped_rollback(revision: int) -> str:
    """kubectl's no-op rollback."""
    return f"skipped rollback (current template already matches revision {revision})"


def rollback_plan(deployment: str, *, revision: int, changes: Sequence[str]) -> str:
    """Where a rollback goes and what it changes in the pod template."""
    body = "\n".join(f"  {change}" for change in changes) or "  (no difference)"
    return f"Roll back deployment.apps/{deployment} to revision {revision}:\n{body}"


def rolled_back(deployment: str, *, revision: int) -> str:
    """kubectl's ``rolled back``."""
    return f"deployment.apps/{deployment} rolled back (to the template of revision {revision})"


def history_table(deployment: str, rows: Sequence[tuple[int, str]]) -> str:
    """kubectl rollout history."""
    if not rows:
        return "No rollout history found."
    width = max(len("REVISION"), *(len(str(r)) for r, _ in rows))
    lines = [f"{'REVISION'.ljust(width)}  CHANGE-CAUSE"]
    lines += [f"{str(revision).ljust(width)}  {cause}" for revision, cause in rows]
    return f"deployment.apps/{deployment}\n```\n" + "\n".join(lines) + "\n```"


def status_waiting_spec() -> str:
    """rollout status: the controller has not seen the latest spec."""
    return "Waiting for deployment spec update to be observed..."


def status_updated(deployment: str, updated: int, replicas: int) -> str:
    """rollout status: new replicas being created."""
    return (
        f'Waiting for deployment "{deployment}" rollout to finish: '
        f"{updated} out of {replicas} new replicas have been updated..."
    )


def status_old_pending(deployment: str, old: int) -> str:
    """rollout status: old replicas still terminating."""
    return f'Waiting for deployment "{deployment}" rollout to finish: {old} old replicas are pending termination...'


def status_available(deployment: str, available: int, updated: int) -> str:
    """rollout status: new replicas not yet available."""
    return (
        f'Waiting for deployment "{deployment}" rollout to finish: '
        f"{available} of {updated} updated replicas are available..."
    )


def status_done(deployment: str) -> str:
    """rollout status: complete."""
    return f'deployment "{deployment}" successfully rolled out'


def status_deadline(deployment: str) -> str:
    """rollout status: Progressing=False/ProgressDeadlineExceeded."""
    return f'deployment "{deployment}" exceeded its progress deadline'


def status_gave_up(deployment: str, *, seconds: float, last: str) -> str:
    """Our own wait deadline ran out before the rollout finished."""
    return f"Stopped watching deployment {code(deployment)} after {seconds:g}s; last status: {last}"


def follow_cancelled(deployment: str, *, last: str) -> str:
    """Cancelled while following a rollout: the change itself stays."""
    return f"Stopped following the rollout of {code(deployment)} on request (last status: {last}); any change made stays."


def rollout_failed(deployment: str, *, last: str) -> str:
    """A change's rollout exceeded its progress deadline: offer the rollback."""
    return (
        f"The rollout of deployment {code(deployment)} failed: {last}. "
        f"To go back: {code('rollback ' + deployment)}."
    )


def restart_paused(deployment: str) -> str:
    """kubectl's restart refusal."""
    return f"can't restart paused deployment (run rollout resume first): {code('resume ' + deployment)}"


def restarted(deployment: str) -> str:
    """kubectl's ``restarted``."""
    return f"deployment.apps/{deployment} restarted"


def already_paused(deployment: str) -> str:
    """kubectl's pause no-op."""
    return f"deployment.apps/{deployment} already paused"


def paused(deployment: str) -> str:
    """kubectl's ``paused``."""
    return f"deployment.apps/{deployment} paused"


def not_paused(deployment: str) -> str:
    """kubectl's resume refusal."""
    return f"deployments.apps {code(deployment)} is not paused"


def resumed(deployment: str) -> str:
    """kubectl's ``resumed``."""
    return f"deployment.apps/{deployment} resumed"


def scale_plan(deployment: str, *, current: int, wanted: int) -> str:
    """Current and new replica count."""
    return f"Scale deployment.apps/{deployment} from {current} to {wanted} replica(s)."


def scaled(deployment: str, *, current: int, wanted: int) -> str:
    """kubectl's ``scaled`` with the numbers."""
    return f"deployment.apps/{deployment} scaled (from {current} to {wanted})"


def scale_unchanged(deployment: str, replicas: int) -> str:
    """Scale to the current count."""
    return f"deployment.apps/{deployment} already has {replicas} replica(s); nothing to change."


def container_ambiguous(deployment: str, containers: Sequence[str]) -> str:
    """``image`` without a container on a multi-container deployment."""
    names = ", ".join(containers)
    return f"deployment {code(deployment)} has several containers ({names}); say which: `image {deployment} NAME=IMAGE`."


def container_not_found(deployment: str, container: str, containers: Sequence[str]) -> str:
    """``image`` naming a container the deployment lacks."""
    names = ", ".join(containers) or "none"
    return f"deployment {code(deployment)} has no container {code(container)} (it has: {names})."


def image_plan(deployment: str, *, container: str, old: str, new: str, strategy: str) -> str:
    """Old and new image, and how the rollout will go."""
    return f"Set image of deployment.apps/{deployment} container {container}: {old} → {new} ({strategy})."


def image_unchanged(deployment: str, *, container: str, image: str) -> str:
    """The image is already set."""
    return f"deployment.apps/{deployment} container {container} already runs {image}; nothing to change."


def image_updated(deployment: str, *, container: str, image: str) -> str:
    """kubectl's ``image updated``."""
    return f"deployment.apps/{deployment} image updated ({container}={image}); following the rollout..."


def image_rolled_out(deployment: str, *, container: str, image: str) -> str:
    """The image change rolled out completely; how to go back."""
    return (
        f"deployment.apps/{deployment} now runs {image} in {container}. "
        f"To go back: {code('rollback ' + deployment)}."
    )


def strategy_plan(deployment: str, *, old: str, new: str) -> str:
    """Old and new update strategy."""
    return f"Change the update strategy of deployment.apps/{deployment}: {old} → {new}."


def strategy_unchanged(deployment: str, strategy: str) -> str:
    """The strategy is already as asked."""
    return f"deployment.apps/{deployment} already uses {strategy}; nothing to change."


def recreate_downtime(deployment: str) -> str:
    """Warn before switching to Recreate."""
    return (
        f"With Recreate, every pod of {code(deployment)} is stopped before new ones start on the next "
        "rollout: expect downtime during updates."
    )


def strategy_changed(deployment: str, strategy: str) -> str:
    """kubectl-like confirmation."""
    return f"deployment.apps/{deployment} strategy set to {strategy}"


def pause_plan(deployment: str) -> str:
    """Dry run of pause."""
    return f"Would pause deployment.apps/{deployment}: template changes will not roll out until resumed."


def resume_plan(deployment: str) -> str:
    """Dry run of resume."""
    return f"Would resume deployment.apps/{deployment}: pending template changes roll out."


def restart_plan(deployment: str) -> str:
    """Dry run of restart."""
    return f"Would restart deployment.apps/{deployment}: every pod is replaced through a rolling update."


def describe_strategy(strategy: Mapping[str, object]) -> str:
    """``RollingUpdate (maxSurge 25%, maxUnavailable 25%)`` or ``Recreate``."""
    kind = str(strategy.get("type") or "RollingUpdate")
    if kind != "RollingUpdate":
        return kind
    rolling = strategy.get("rollingUpdate")
    limits = rolling if isinstance(rolling, Mapping) else {}
    surge = limits.get("maxSurge", "25%")
    unavailable = limits.get("maxUnavailable", "25%")
    return f"RollingUpdate (maxSurge {surge}, maxUnavailable {unavailable})"
