"""DaemonSet and StatefulSet rollouts with kubectl's semantics: ``rollback`` (``rollout undo``),
``history`` and ``status``, from the ControllerRevisions their controllers keep.

The rollback computes a :class:`~workers.plans.Plan` first (shown alone on a dry run, rehearsed with
``dryRun=All`` when the job acts as a person) naming the revision it goes to and what changes in the
pod template, then sends kubectl's request: the revision's data as a strategic merge patch. The rules
themselves are pure functions in :mod:`workers.controller_revisions`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shared.messages import workloads as wording
from workers import cluster, rollouts, selectors
from workers import controller_revisions as revisions
from workers.access import rehearse
from workers.controller_revisions import DAEMONSET, STATEFULSET, WorkloadStatus
from workers.errors import Cancelled, JobError
from workers.kube import list_all, read, retry_on_conflict, write
from workers.locks import Guard
from workers.plans import Plan
from workers.report import Reporter
from workers.watching import Follower

KINDS = (DAEMONSET, STATEFULSET)


class Workload:
    """One DaemonSet or StatefulSet named in a command."""

    def __init__(self, kind: str, name: str, namespace: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"not a DaemonSet or StatefulSet kind: {kind!r}")
        self.kind = kind
        self.name = name
        self.namespace = namespace

    @property
    def missing(self) -> str:
        """The sentence for a 404."""
        return wording.not_found(self.kind, self.name, self.namespace)

    @property
    def key(self) -> str:
        """The lock name (and plan target) of this workload."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def call(self, verb: str) -> Callable[..., Any]:
        """The client's ``VERB_namespaced_daemon_set`` (or ``stateful_set``)."""
        method = "daemon_set" if self.kind == DAEMONSET else "stateful_set"
        call: Callable[..., Any] = getattr(cluster.apps(), f"{verb}_namespaced_{method}")
        return call

    def read(self) -> dict[str, Any]:
        """The workload as JSON."""
        found: dict[str, Any] = read(self.call("read"), self.name, self.namespace, missing=self.missing)
        return found

    def revisions(self, workload: dict[str, Any]) -> list[dict[str, Any]]:
        """Its ControllerRevisions, by number: listed by its selector, kept if it controls them."""
        selector = (workload.get("spec") or {}).get("selector") or {}
        items, _ = list_all(
            cluster.apps().list_namespaced_controller_revision,
            self.namespace,
            missing=self.missing,
            label_selector=selectors.to_query(selector),
        )
        return revisions.owned(workload, items)

    def patch(self, body: Any, **options: Any) -> dict[str, Any]:
        """PATCH the workload (a dict: a strategic merge patch)."""
        patched: dict[str, Any] = write(
            self.call("patch"), self.name, self.namespace, body, missing=self.missing, **options
        )
        return patched


def rollback(
    target: Workload, *, to_revision: int | None, dry_run: bool, reporter: Reporter, guard: Guard
) -> dict[str, Any]:
    """``rollout undo daemonset/NAME|statefulset/NAME``: revision choice, skip check, then the patch."""
    wanted = to_revision or 0

    def attempt() -> dict[str, Any]:
        workload = target.read()
        history = target.revisions(workload)
        try:
            chosen = revisions.choose(history, wanted)
        except rollouts.RolloutError as error:
            raise JobError(str(error)) from error
        number = revisions.revision_number(chosen)
        current_template = (workload.get("spec") or {}).get("template") or {}
        changes = rollouts.template_changes(current_template, revisions.template_of(chosen))
        plan = Plan(action="rollback", target=target.key)
        plan.saw(target.kind, workload)
        plan.saw("controllerrevision", chosen)
        plan.text = wording.rollback_plan(target.kind, target.name, revision=number, changes=changes)
        plan.details = {
            "kind": target.kind,
            "revision": number,
            "from_revision": revisions.revision_number(history[-1]) if history else 0,
            "changes": changes,
        }
        already = revisions.matches(workload, chosen)
        if dry_run:
            if not already:
                rehearse(target.patch, revisions.undo_patch(chosen))
            reporter.emit_plan(plan.text, plan=plan.to_json())
            return {target.kind: target.name, "dry_run": True, "plan": plan.to_json()}
        reporter.confirm_plan(plan.to_json())
        if already:
            reporter.progress(wording.skipped_rollback(wanted))
            return {target.kind: target.name, "changed": False, "skipped": True, "plan": plan.to_json()}
        guard.check()
        target.patch(revisions.undo_patch(chosen))
        reporter.progress(wording.rolled_back(target.kind, target.name, revision=number))
        return {target.kind: target.name, "changed": True, "revision": number, "plan": plan.to_json()}

    return retry_on_conflict(attempt)


def history(target: Workload, *, reporter: Reporter) -> dict[str, Any]:
    """``rollout history``: revisions and their change causes."""
    rows = revisions.history_rows(target.revisions(target.read()))
    reporter.progress(wording.history_table(target.kind, target.name, rows))
    return {
        target.kind: target.name,
        "revisions": [{"revision": r, "change_cause": c} for r, c in rows],
    }


def status_text(kind: str, name: str, status: WorkloadStatus) -> str:
    """kubectl's sentence for a DaemonSet or StatefulSet status reading."""
    n = status.numbers
    texts: dict[str, Callable[[], str]]
    if kind == DAEMONSET:
        texts = {
            "waiting-spec": wording.daemonset_waiting_spec,
            "updated": lambda: wording.daemonset_updated(name, n[0], n[1]),
            "available": lambda: wording.daemonset_available(name, n[0], n[1]),
            "done": lambda: wording.daemonset_done(name),
        }
    else:
        texts = {
            "waiting-spec": wording.statefulset_waiting_spec,
            "ready": lambda: wording.statefulset_ready(n[0]),
            "partition": lambda: wording.statefulset_partition(n[0], n[1]),
            "partition-done": lambda: wording.statefulset_partition_done(n[0]),
            "revision": lambda: wording.statefulset_revision(n[0], status.revision),
            "done": lambda: wording.statefulset_done(n[0], status.revision),
        }
    return texts.get(status.kind, wording.not_rolling)()


def status(target: Workload, *, reporter: Reporter, seconds: float) -> dict[str, Any]:
    """``rollout status``: follow (list, then watch, relisting on 410 Gone) until done or ``seconds``
    pass; reports each new status."""
    follower = Follower(target.call("list"), target.namespace, target.name, missing=target.missing)
    said = ""
    deadline = time.monotonic() + seconds
    for workload in follower.states(deadline=deadline, stop=reporter.cancel_requested):
        reading = revisions.rollout_status(target.kind, workload)
        if reading.failed:
            raise JobError(wording.not_rolling())
        text = status_text(target.kind, target.name, reading)
        if text != said:
            reporter.progress(text)
            said = text
        if reading.done:
            return {
                target.kind: target.name,
                "namespace": target.namespace,
                "done": True,
                "relists": follower.relists,
            }
    if reporter.cancel_requested():
        raise Cancelled(wording.follow_cancelled(target.kind, target.name, last=said))
    raise JobError(wording.gave_up(target.kind, target.name, seconds=seconds, last=said))
