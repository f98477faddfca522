"""Sentences about node operations (drain, maintenance), API errors and workers that died, as workers
report them; deployments are in :mod:`shared.messages.deployments`.

Where kubectl has a well-known wording (``node/x drained``, ``skipped rollback ...``) we keep it, so people
recognise it; the rest says what happened and what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.fit import first_items, wrap
from shared.text_safety import code


def _pods(names: Sequence[str]) -> str:
    """The pods of a sentence: all of a short list, the first few and a count of the rest of a long one."""
    return first_items(names)


# --- API errors -------------------------------------------------------------------------------------


def forbidden(detail: str) -> str:
    """403: the worker's credentials may not do this."""
    return f"The Kubernetes API refused this (403 Forbidden: {detail}). The worker's account lacks the right."


def conflict(detail: str) -> str:
    """409 that survived re-reading and re-applying."""
    return f"Someone else kept changing the same object (409 Conflict: {detail}). Try again in a moment."


def invalid(detail: str) -> str:
    """422: the API server's validation or admission refused the object (its message names the fields)."""
    return f"The Kubernetes API refused this change as invalid (422 Unprocessable Entity: {detail}). That request changed nothing."


def throttled(detail: str) -> str:
    """429 on a call that is not an eviction."""
    return f"The Kubernetes API is throttling requests (429: {detail}). Try again in a minute."


def server_error(status: int, detail: str) -> str:
    """5xx from the API server."""
    return (
        f"The Kubernetes API failed ({status}: {detail}). Try again; if it persists, check the control plane."
    )


def api_timeout(detail: str) -> str:
    """No answer in time, or the connection dropped."""
    return f"The Kubernetes API did not answer in time ({detail})."


# --- drain -------------------------------------------------------------------------------------------


def drain_refused(errors: Mapping[str, Sequence[str]], *, node: str) -> str:
    """kubectl's aggregated refusal; nothing was evicted and the node stays cordoned."""
    lines = [f"cannot delete {message}: {_pods(pods)}" for message, pods in errors.items()]
    return (
        "\n".join(lines)
        + f"\nNothing was evicted. node/{node} stays cordoned; `uncordon {node}` undoes that."
    )


def drain_warning(message: str, pods: Sequence[str]) -> str:
    """kubectl's ``Warning:`` line."""
    return f"Warning: {message}: {_pods(pods)}"


def drain_plan(
    *,
    node: str,
    evict: Sequence[str],
    lost: Sequence[str],
    ignored: Sequence[str],
    budgets: Sequence[str],
    refusals: Mapping[str, Sequence[str]],
) -> str:
    """What a drain would do, before it does anything."""
    lines = [f"Drain node/{node}: cordon it, then evict {len(evict)} pod(s): {_pods(evict)}."]
    if lost:
        lines.append(f"Lost for good (no controller recreates them, or emptyDir data): {_pods(lost)}.")
    if ignored:
        lines.append(f"Left in place (DaemonSet or mirror pods): {_pods(ignored)}.")
    if budgets:
        lines.append("Disruption budgets that may hold it up: " + "; ".join(budgets) + ".")
    for message, pods in refusals.items():
        lines.append(f"Refused: cannot delete {message}: {_pods(pods)}.")
    return wrap("\n".join(lines))


def drain_plan_in_full(
    *,
    node: str,
    evict: Sequence[str],
    lost: Sequence[str],
    ignored: Sequence[str],
    budgets: Sequence[str],
) -> str:
    """The whole plan of a drain, one pod per line: the file that goes with a plan too long to list."""
    sections = [
        (f"Drain node/{node}: evict {len(evict)} pod(s)", evict),
        (f"Lost for good (no controller recreates them, or emptyDir data): {len(lost)}", lost),
        (f"Left in place (DaemonSet or mirror pods): {len(ignored)}", ignored),
        (f"Disruption budgets that may hold it up: {len(budgets)}", budgets),
    ]
    return (
        "\n\n".join(
            heading + "\n" + "\n".join(f"  {item}" for item in items) for heading, items in sections if items
        )
        + "\n"
    )


def drain_plan_file(node: str) -> str:
    """The name of the file holding a drain's whole plan."""
    return f"drain-{node}-plan.txt"


def budget_line(name: str, *, healthy: int, desired: int, allowed: int) -> str:
    """One PodDisruptionBudget in a plan."""
    return f"{name} (needs {desired} healthy, has {healthy}, allows {allowed} disruption(s) now)"


def evicted_progress(done: int, total: int, pod: str) -> str:
    """Progress of the evictions, naming the pod that just went (kubectl: ``pod/x evicted``)."""
    return f"evicted {done}/{total} ({pod_evicted(pod)})"


def pod_evicted(pod: str) -> str:
    """kubectl's line for one pod."""
    return f"pod/{pod} evicted"


def waiting_on_budget(budget: str, *, desired: int, healthy: int) -> str:
    """An eviction answered 429: waiting for the budget to allow a disruption."""
    return f"waiting on PDB {budget} (needs {desired} healthy, has {healthy})"


def waiting_on_namespace(pod: str, namespace: str) -> str:
    """An eviction answered 403 NamespaceTerminating: the namespace's own deletion will take the pod."""
    return (
        f"pod {pod} is not evicted: its namespace {code(namespace)} is being deleted (Terminating); "
        "waiting for that deletion to remove it, as kubectl drain does"
    )


def multiple_budgets(pod: str, detail: str) -> str:
    """The eviction API refuses pods covered by more than one budget (HTTP 500)."""
    return f"cannot evict pod {pod}: {detail} Fix the overlapping PodDisruptionBudgets, then drain again."


def eviction_failed(pod: str, detail: str) -> str:
    """Any other eviction error fails that pod."""
    return f"cannot evict pod {pod}: {detail}"


def drain_timeout(node: str, *, seconds: float, pending: Sequence[str]) -> str:
    """The global --timeout ran out."""
    return (
        f"Drain of node/{node} gave up after {seconds:g}s (global timeout reached); "
        f"pods still pending: {_pods(pending)}. The node stays cordoned."
    )


def drain_incomplete(node: str, *, failures: Sequence[str], evicted: Sequence[str]) -> str:
    """Some pods could not be evicted."""
    return (
        "\n".join(failures)
        + f"\nThere are pending pods in node/{node}; evicted so far: {_pods(evicted)}. The node stays cordoned."
    )


def drain_cancelled(node: str, *, evicted: Sequence[str]) -> str:
    """Cooperative cancel between evictions."""
    return (
        f"Drain of node/{node} cancelled. Evicted before the cancel: {_pods(evicted)}. "
        f"The node stays cordoned; `uncordon {node}` undoes that."
    )


def node_drained(node: str, *, moved: Sequence[str], lost: Sequence[str], undo: str) -> str:
    """kubectl's ``node/x drained``, plus what moved, what was lost and how to undo."""
    lines = [f"node/{node} drained. Moved: {_pods(moved)}."]
    if lost:
        lines.append(f"Lost (not recreated, or emptyDir data deleted): {_pods(lost)}.")
    lines.append(f"To undo: {code(undo)}.")
    return wrap("\n".join(lines))


# --- maintenance -------------------------------------------------------------------------------------


def maintenance_started(node: str, *, moved: Sequence[str]) -> str:
    """A node is in maintenance."""
    return (
        f"node/{node} is in maintenance: cordoned and drained ({len(moved)} pod(s) moved). "
        f"End it with {code('unmaintain ' + node)}."
    )


def maintenance_ended(node: str, *, moved: Sequence[str], started_by: str) -> str:
    """unmaintain: the record, reported back."""
    by = f" (started by {started_by})" if started_by else ""
    return (
        f"node/{node} is out of maintenance{by} and schedulable again. "
        f"Pods moved off it then: {_pods(moved)}; they stay where they are now."
    )


def not_in_maintenance(node: str) -> str:
    """unmaintain on a node with no maintenance record."""
    return f"node/{node} had no maintenance record; uncordoned it anyway."


def too_many_in_maintenance(node: str, *, others: Sequence[str], limit: int) -> str:
    """The cluster-wide limit on nodes in maintenance."""
    return (
        f"Cannot put node/{node} in maintenance: {_pods(others)} already in maintenance "
        f"(limit {limit} at a time). Finish there first: `uncordon` a drained node, `unmaintain` one in maintenance."
    )


def target_busy(target: str) -> str:
    """Another mutating job holds the lock on the same target."""
    return f"Another job is already changing {target}; wait for it to finish (or cancel it) and try again."


def lock_lost(target: str) -> str:
    """The lock was taken over (it expired): stop before changing anything more."""
    return (
        f"This job lost its lock on {target} (it expired or was taken over); stopped before the next change."
    )


# --- workers that died mid-job --------------------------------------------------------------------------


def worker_silent(worker: str, *, seconds: float) -> str:
    """Why a job is considered dead: its worker stopped saying it is alive."""
    return f"its worker {worker} stopped responding {seconds:.0f} s ago (killed or lost)"


def heartbeat_expired(worker: str) -> str:
    """Why a job is considered dead: RQ's heartbeat for it expired."""
    return f"its worker {worker} stopped sending heartbeats for it"


def horse_killed(status: int) -> str:
    """Why a job is considered dead: the process running it was killed (OOM, kill -9)."""
    return f"the process running it was killed (wait status {status})"


def worker_died(cause: str, *, steps: Sequence[str], evicted: Sequence[str], lock_free: bool) -> str:
    """A job that ended without finishing because its process died: what was done, and how to finish."""
    done = "; ".join(step.rstrip(".") for step in steps) if steps else "no change reported"
    moved = f" Evicted before that: {len(evicted)} pod(s): {_pods(evicted)}." if evicted else ""
    lock = "Its lock is free." if lock_free else "Its lock frees itself within a minute."
    return (
        f"it stopped without finishing because {cause}. Done before that: {done}.{moved} {lock} "
        "Run the same command again to finish: every step checks the current state first, "
        "so nothing done is repeated."
    )
