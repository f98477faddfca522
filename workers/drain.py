"""``drain NODE``: kubectl's drain (cordon, list, filter, evict in parallel, wait), planned before it acts.

:func:`plan_drain` only reads: the node, its pods (by ``spec.nodeName``, 500 a page), the DaemonSets
that own some of them, and the disruption budgets covering the pods that would go. :func:`drain`
then cordons, lists again (pods may have arrived before the cordon), refuses the whole drain if any
pod may not go (nothing evicted, node left cordoned, as kubectl), and evicts the rest.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any

from kubernetes.client.exceptions import ApiException

from shared.fit import FIRST_ITEMS, attachment
from shared.messages import jobs as messages
from shared.messages import operations as wording
from workers import cluster
from workers.budgets import covering, state_of
from workers.errors import Cancelled, JobError
from workers.evictions import Evictions
from workers.kube import call_json, list_all, translate
from workers.locks import Guard
from workers.nodes import read_node, set_unschedulable
from workers.plans import Plan
from workers.pods import DrainFlags, Selection, pod_key, select
from workers.report import Reporter

DEFAULT_TIMEOUT_SECONDS = 900.0
"""A drain's global timeout when none is given (kubectl's default, 0, waits forever)."""


class DrainRefused(JobError):
    """Some pod may not go without a flag: nothing was evicted (the node is left cordoned, as kubectl)."""


@dataclasses.dataclass(frozen=True)
class DrainPlan:
    """A drain's plan and what it was computed from."""

    plan: Plan
    selection: Selection
    budgets: tuple[dict[str, Any], ...]


def _daemonset_exists(namespace: str, name: str) -> bool:
    try:
        call_json(cluster.apps().read_namespaced_daemon_set, name, namespace)
    except ApiException as error:
        if error.status == 404:
            return False
        raise translate(error, missing=f"daemonset {namespace}/{name}") from error
    return True


def plan_drain(node: str, *, flags: DrainFlags) -> DrainPlan:
    """What draining ``node`` would do now; reads only."""
    node_obj = read_node(node)
    pods, _ = list_all(
        cluster.core().list_pod_for_all_namespaces,
        missing=messages.node_not_found(node),
        field_selector=f"spec.nodeName={node}",
    )
    selection = select(pods, flags=flags, daemonset_exists=functools.cache(_daemonset_exists))
    leaving = selection.to_evict
    budgets: list[dict[str, Any]] = []
    if leaving:
        all_budgets, _ = list_all(
            cluster.policy().list_pod_disruption_budget_for_all_namespaces,
            missing="poddisruptionbudgets",
        )
        covered: dict[str, dict[str, Any]] = {}
        for verdict in leaving:
            for budget in covering(verdict.pod, all_budgets):
                covered.setdefault(state_of(budget).key, dict(budget))
        budgets = [covered[key] for key in sorted(covered)]
    plan = Plan(action="drain", target=f"node/{node}")
    plan.saw("node", node_obj)
    for verdict in selection.verdicts:
        plan.saw("pod", verdict.pod)
    for budget in budgets:
        plan.saw("poddisruptionbudget", budget)
    budget_lines = []
    for budget in budgets:
        state = state_of(budget)
        budget_lines.append(
            wording.budget_line(
                state.key, healthy=state.healthy, desired=state.desired, allowed=state.allowed
            )
        )
    evict = [v.key for v in leaving]
    lost = [v.key for v in selection.lost]
    ignored = [v.key for v in selection.ignored]
    refusals = selection.errors()
    plan.text = wording.drain_plan(
        node=node, evict=evict, lost=lost, ignored=ignored, budgets=budget_lines, refusals=refusals
    )
    plan.details = {
        "evict": evict,
        "lost": lost,
        "ignored": ignored,
        "budgets": [state_of(b).key for b in budgets],
        "refusals": refusals,
        "flags": dataclasses.asdict(flags),
    }
    return DrainPlan(plan=plan, selection=selection, budgets=tuple(budgets))


def whole_plan(plan: Plan, *, node: str) -> dict[str, Any]:
    """The file of the whole plan, as event details, when its message names only the first pods."""
    lists = [plan.details.get(name) or [] for name in ("evict", "lost", "ignored", "budgets")]
    if max(len(items) for items in lists) <= FIRST_ITEMS:
        return {}
    evict, lost, ignored, budgets = lists
    content = wording.drain_plan_in_full(node=node, evict=evict, lost=lost, ignored=ignored, budgets=budgets)
    return attachment(wording.drain_plan_file(node), content)


def drain(
    node: str,
    *,
    flags: DrainFlags,
    grace_period: int | None,
    timeout: float | None,
    dry_run: bool,
    reporter: Reporter,
    guard: Guard,
) -> dict[str, Any]:
    """Drain ``node``; on a dry run only show the plan. Returns what moved and what was lost."""
    planned = plan_drain(node, flags=flags)
    if dry_run:
        reporter.emit_plan(
            planned.plan.text, plan=planned.plan.to_json(), **whole_plan(planned.plan, node=node)
        )
        return {"node": node, "dry_run": True, "plan": planned.plan.to_json()}
    reporter.confirm_plan(planned.plan.to_json())
    started = time.monotonic()
    seconds = DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout
    set_unschedulable(node, value=True, dry_run=False, reporter=reporter, guard=guard)
    current = plan_drain(node, flags=flags)
    refusals = current.selection.errors()
    if refusals:
        raise DrainRefused(wording.drain_refused(refusals, node=node))
    for message, pods in current.selection.warnings().items():
        reporter.warning(wording.drain_warning(message, pods))
    leaving = current.selection.to_evict
    lost = [v.key for v in current.selection.lost]
    if reporter.cancel_requested():
        raise Cancelled(wording.drain_cancelled(node, evicted=[]))
    guard.check()
    report = Evictions(reporter=reporter, grace_period=grace_period, deadline=started + seconds).run(
        [v.pod for v in leaving]
    )
    if report.cancelled:
        raise Cancelled(wording.drain_cancelled(node, evicted=report.evicted))
    if report.failures:
        raise JobError(
            wording.drain_incomplete(node, failures=list(report.failures.values()), evicted=report.evicted)
        )
    if report.timed_out:
        pending = sorted({*report.pending, *(set(report.accepted) - set(report.gone))})
        raise JobError(wording.drain_timeout(node, seconds=seconds, pending=pending))
    moved = [pod_key(v.pod) for v in leaving if pod_key(v.pod) not in lost]
    reporter.progress(wording.node_drained(node, moved=moved, lost=lost, undo=f"uncordon {node}"))
    return {
        "node": node,
        "drained": True,
        "evicted": report.evicted,
        "moved": moved,
        "lost": lost,
        "undo": f"uncordon {node}",
        "plan": current.plan.to_json(),
    }


__all__ = ["DEFAULT_TIMEOUT_SECONDS", "DrainPlan", "DrainRefused", "drain", "plan_drain"]
