"""Carrying out ``upgrade nodes VERSION``, one checkpointed step at a time (the control plane is
:mod:`workers.control_plane_upgrade`; what the run will do is worked out in :mod:`workers.node_upgrade_work`).

Nodes: never newer than kube-apiserver; nodes already at the target are skipped. Before anything
changes, every node's drain is planned with kubectl's filters: pods that need ``--force`` (no
controller) or ``--delete-emptydir-data`` (emptyDir) refuse the whole upgrade, listing them, unless the
job was given those flags. Strategies:

- ``one-at-a-time``: per node, take a maintenance slot (the cluster-wide limit of
  :mod:`workers.maintenance`), drain, upgrade the kubelet, wait Ready at the new version, uncordon,
  report what moved off it and what runs on it again;
- ``all-at-once``: warn of downtime, cordon all, upgrade all, wait for all, uncordon all; nothing is
  drained (there is nowhere to go), and the maintenance limit is waived for the nodes being upgraded;
- ``surge``: per old node, provision a replacement at the new version and wait until it is Ready,
  then drain the old node onto it and retire it (delete the Node): capacity never drops.

Crash safety: before each step the node carries a checkpoint, JSON in its annotation
``chatops.io/upgrade`` (target, strategy, step, job, whether it was cordoned before). A re-run of the
same upgrade resumes such nodes first, at their recorded step; finished nodes are recognised by their
kubelet version and skipped. A node cordoned before the upgrade stays cordoned after it. On any stop
the job says where every node stands. One upgrade job runs at a time (lock ``cluster/upgrade``), and
each node is worked on under its own lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from shared.commands import NodeUpgradeStrategy
from shared.messages import operations
from shared.messages import upgrade_runs as run_wording
from workers import cluster, maintenance, windowing
from workers.drain import drain
from workers.errors import Cancelled, JobError, NotFound
from workers.kube import list_all
from workers.locks import UPGRADE_LOCK, Guard, TargetLock
from workers.node_upgrade_work import (
    Checkpoint,
    NodeOptions,
    NodeWork,
    drain_refusals,
    foreign_maintenance,
    node_target,
    replacement_name,
    save_checkpoint,
    select_nodes,
)
from workers.nodes import read_node, set_annotation, set_unschedulable
from workers.pods import pod_key
from workers.report import Reporter
from workers.upgrade_reads import (
    ALL_AT_ONCE_STEPS,
    IN_PLACE_STEPS,
    RETURN_WAIT_SECONDS,
    SURGE_STEPS,
    UPGRADED_BY,
    apiserver_version,
    is_ready,
    kubelet_version,
    wait_until,
)
from workers.upgraders import Upgrader, configured
from workers.upgrades import moves_on_drain
from workers.versions import Version
from workers.windowing import WindowEnded

# --- nodes: the run -----------------------------------------------------------------------------------


class _NodeRun:
    """One ``upgrade nodes`` run: its choices, the upgrader, and where every node stands."""

    def __init__(
        self,
        *,
        reporter: Reporter,
        upgrader: Upgrader,
        target: Version,
        options: NodeOptions,
        work: list[NodeWork],
    ) -> None:
        self.reporter = reporter
        self.upgrader = upgrader
        self.target = target
        self.options = options
        self.work = work
        self.ours = {w.name for w in work}
        self.states: dict[str, str] = {w.name: run_wording.state_not_started() for w in work}
        self.results: list[dict[str, Any]] = []
        self.unscheduled_before = _unscheduled()

    # ---- shared steps ----

    def at(self, item: NodeWork, step: str, **changes: Any) -> NodeWork:
        """Record on the node that ``step`` begins (the checkpoint a re-run resumes from)."""
        base = item.resume or Checkpoint(
            target=str(self.target),
            strategy=str(self.options.strategy),
            step=step,
            job=self.reporter.request.job_id,
            was_cordoned=item.cordoned,
        )
        saved = dataclasses.replace(base, step=step, job=self.reporter.request.job_id, **changes)
        save_checkpoint(item.name, saved)
        self.states[item.name] = run_wording.state_stopped(step)
        self.reporter.progress(run_wording.node_step(item.name, step))
        return dataclasses.replace(item, resume=saved)

    def due(self, item: NodeWork, steps: Sequence[str]) -> Sequence[str]:
        """The steps still to do on ``item`` (all of them, or those from where a previous run stopped)."""
        start = item.step(steps)
        if item.resume is not None and item.resume.step:
            self.reporter.progress(run_wording.node_resumed(item.name, start))
        return steps[steps.index(start) :]

    def stop_if_cancelled(self, *, between_nodes: bool = False) -> None:
        """Stop between two nodes (or phases) once the requester cancelled, or between two nodes once
        the job's window closed (the rest waits for its next opening)."""
        done = [name for name, state in self.states.items() if state.startswith("upgraded")]
        remaining = [w.name for w in self.work if w.name not in done]
        if self.reporter.cancel_requested():
            raise Cancelled(run_wording.upgrade_cancelled(done, remaining=remaining))
        if between_nodes and done and windowing.window_closed(self.reporter.schedule):
            raise WindowEnded(done=done, left=remaining)

    def take_slot(self, node: str, *, limit: int | None) -> None:
        """A maintenance record on the node, under the cluster-wide limit (``None``: waived)."""
        with maintenance.slots_lock(self.reporter):
            mine = maintenance.record_of(read_node(node))
            if mine is not None and mine.get("by") == UPGRADED_BY:
                return
            others = [n for n in maintenance.nodes_in_maintenance(besides=node) if n not in self.ours]
            if limit is not None and len(others) >= limit:
                raise JobError(operations.too_many_in_maintenance(node, others=others, limit=limit))
            record = {
                "state": "upgrading",
                "by": UPGRADED_BY,
                "target": str(self.target),
                "job": self.reporter.request.job_id,
                "user": self.reporter.request.user,
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            set_annotation(node, maintenance.ANNOTATION, json.dumps(record, sort_keys=True))

    def wait_ready(self, node: str) -> Version:
        """Wait until the node is Ready and reports a kubelet at the target."""
        seen: list[Version] = []

        def ready() -> bool:
            found = read_node(node)
            kubelet = kubelet_version(found)
            seen[:] = [kubelet] if kubelet is not None else []
            return is_ready(found) and kubelet is not None and not kubelet.is_older_than(self.target)

        if not wait_until(ready, seconds=self.options.ready_timeout):
            raise JobError(
                run_wording.node_not_ready(node, target=str(self.target), seconds=self.options.ready_timeout)
            )
        self.reporter.progress(run_wording.node_ready(node, str(seen[0])))
        return seen[0]

    def drain(self, node: str, guard: Guard) -> tuple[str, ...]:
        """kubectl's drain of ``node`` with the operator's flags; the pods that moved."""
        result = drain(
            node,
            flags=self.options.flags,
            grace_period=None,
            timeout=None,
            dry_run=False,
            reporter=self.reporter,
            guard=guard,
        )
        return tuple(str(p) for p in result["moved"])

    def uncordon(self, item: NodeWork, guard: Guard) -> None:
        """Uncordon, unless the node was cordoned before the upgrade began."""
        if not (item.resume and item.resume.was_cordoned):
            set_unschedulable(item.name, value=False, dry_run=False, reporter=self.reporter, guard=guard)

    def pods_back(self, node: str) -> list[str]:
        """Wait (bounded) for pods left without a node to find one, then list the pods running on ``node``."""
        if not wait_until(
            lambda: not (_unscheduled() - self.unscheduled_before), seconds=RETURN_WAIT_SECONDS
        ):
            self.reporter.warning(
                run_wording.pods_still_pending(sorted(_unscheduled() - self.unscheduled_before))
            )
        pods, _ = list_all(
            cluster.core().list_pod_for_all_namespaces,
            missing="the pod list is missing",
            field_selector=f"spec.nodeName={node}",
        )
        return sorted(pod_key(p) for p in pods if moves_on_drain(p))

    def finish(self, item: NodeWork, guard: Guard) -> None:
        """Drop the checkpoint and the maintenance record; report what moved and what runs there again."""
        guard.check()
        # The record goes first: a worker killed in between leaves the checkpoint, and the re-run
        # resumes the node and finishes it; the other order would leave a record no run ever clears.
        set_annotation(item.name, maintenance.ANNOTATION, None)
        save_checkpoint(item.name, None)
        version = kubelet_version(read_node(item.name)) or self.target
        self.states[item.name] = run_wording.state_upgraded(str(version))
        moved = list(item.resume.moved) if item.resume else []
        back = self.pods_back(item.name)
        kept = bool(item.resume and item.resume.was_cordoned)
        self.reporter.progress(
            run_wording.node_upgraded(
                item.name, version=str(version), moved=moved, back=back, kept_cordoned=kept
            )
        )
        self.results.append({"node": item.name, "version": str(version), "moved": moved, "back": back})

    # ---- strategies ----

    def one_at_a_time(self) -> None:
        """Drain, upgrade, wait Ready, uncordon: node after node."""
        for item in self.work:
            self.stop_if_cancelled(between_nodes=True)
            self.upgrade_in_place(item)

    def upgrade_in_place(self, item: NodeWork) -> None:
        """One node of one-at-a-time, from its first step still due."""
        due = self.due(item, IN_PLACE_STEPS)
        with TargetLock(
            self.reporter.connection, f"node/{item.name}", cluster=self.reporter.request.cluster
        ) as lock:
            self.take_slot(item.name, limit=maintenance.MAX_IN_MAINTENANCE)
            if "drain" in due:
                lock.check()
                item = self.at(item, "drain")
                item = self.at(item, "upgrade", moved=self.drain(item.name, lock))
            elif "upgrade" in due:
                item = self.at(item, "upgrade")
            if "upgrade" in due:
                lock.check()
                self.upgrader.upgrade_kubelet(item.name, version=self.target)
            item = self.at(item, "ready")
            self.wait_ready(item.name)
            item = self.at(item, "uncordon")
            lock.check()
            self.uncordon(item, lock)
            self.finish(item, lock)

    def all_at_once(self) -> None:
        """Cordon all, upgrade all, wait for all, uncordon all."""
        names = [w.name for w in self.work]
        self.reporter.warning(run_wording.downtime_warning(names))
        items = {w.name: w for w in self.work}
        with contextlib.ExitStack() as stack:
            locks = {
                name: stack.enter_context(
                    TargetLock(
                        self.reporter.connection, f"node/{name}", cluster=self.reporter.request.cluster
                    )
                )
                for name in names
            }
            due = {name: self.due(items[name], ALL_AT_ONCE_STEPS) for name in names}
            for name in names:
                self.take_slot(name, limit=None)
            for phase in ALL_AT_ONCE_STEPS:
                self.stop_if_cancelled()
                for name in names:
                    if phase not in due[name]:
                        continue
                    locks[name].check()
                    items[name] = self.at(items[name], phase)
                    self.all_at_once_step(items[name], phase, locks[name])
            for name in names:
                self.finish(items[name], locks[name])

    def all_at_once_step(self, item: NodeWork, phase: str, guard: Guard) -> None:
        """One phase on one node."""
        if phase == "cordon":
            set_unschedulable(item.name, value=True, dry_run=False, reporter=self.reporter, guard=guard)
        elif phase == "upgrade":
            self.upgrader.upgrade_kubelet(item.name, version=self.target)
        elif phase == "ready":
            self.wait_ready(item.name)
        else:
            self.uncordon(item, guard)

    def surge(self) -> None:
        """Per old node: a replacement at the target first, then drain the old node onto it and retire it."""
        for item in self.work:
            self.stop_if_cancelled(between_nodes=True)
            self.replace(item)

    def replace(self, item: NodeWork) -> None:
        """One old node of surge, from its first step still due."""
        new = (item.resume.replacement if item.resume else None) or replacement_name(item.name, self.target)
        due = self.due(item, SURGE_STEPS)
        with (
            TargetLock(
                self.reporter.connection, f"node/{item.name}", cluster=self.reporter.request.cluster
            ) as lock,
            TargetLock(
                self.reporter.connection, f"node/{new}", cluster=self.reporter.request.cluster
            ) as new_lock,
        ):
            if "provision" in due:
                item = self.at(item, "provision", replacement=new)
                new_lock.check()
                if not _exists(new):
                    registered = self.upgrader.provision(new, like=item.name, version=self.target)
                    if registered and registered != new and item.resume is not None:
                        new = registered
                        item = dataclasses.replace(
                            item, resume=dataclasses.replace(item.resume, replacement=new)
                        )
                        save_checkpoint(item.name, item.resume)
                self.wait_ready(new)
            if "drain" in due:
                self.take_slot(item.name, limit=maintenance.MAX_IN_MAINTENANCE)
                item = self.at(item, "drain", replacement=new)
                item = self.at(item, "retire", moved=self.drain(item.name, lock))
            else:
                item = self.at(item, "retire")
            lock.check()
            self.upgrader.retire(item.name)
        moved = list(item.resume.moved) if item.resume else []
        self.states[item.name] = run_wording.state_replaced(str(self.target), new)
        self.reporter.progress(
            run_wording.node_replaced(item.name, new=new, version=str(self.target), moved=moved)
        )
        self.results.append({"node": item.name, "replacement": new, "moved": moved})


def _exists(node: str) -> bool:
    try:
        read_node(node)
    except NotFound:
        return False
    return True


def _unscheduled() -> set[str]:
    pods, _ = list_all(cluster.core().list_pod_for_all_namespaces, missing="the pod list is missing")
    return {
        pod_key(p)
        for p in pods
        if not (p.get("spec") or {}).get("nodeName")
        and not (p.get("metadata") or {}).get("deletionTimestamp")
    }


@contextlib.contextmanager
def _reporting_states(run: _NodeRun) -> Iterator[None]:
    """On a stop, add where every node stands to the reason."""
    try:
        yield
    except WindowEnded:
        raise
    except JobError as error:
        states = [(w.name, run.states[w.name]) for w in run.work]
        raise type(error)(f"{error}\n{run_wording.node_states(states)}") from error


def upgrade_nodes(
    version: str, *, nodes: Sequence[str], options: NodeOptions, dry_run: bool, reporter: Reporter
) -> dict[str, Any]:
    """Plan, then upgrade the kubelets of ``nodes`` (default: every worker) to ``version``."""
    control_plane = apiserver_version()
    target = node_target(version, control_plane)
    node_items, _ = list_all(cluster.core().list_node, missing="the node list is missing")
    work, skipped = select_nodes(node_items, nodes, target, options.strategy)
    surge = options.strategy == NodeUpgradeStrategy.SURGE
    reporter.emit_plan(
        run_wording.nodes_plan(
            target=str(target),
            control_plane=str(control_plane),
            strategy=str(options.strategy),
            upgrade=[
                (w.name, str(w.kubelet), w.resume.step if w.resume and w.resume.step else None) for w in work
            ],
            skipped=skipped,
            replacements=[(w.name, replacement_name(w.name, target)) for w in work] if surge else (),
        )
    )
    summary: dict[str, Any] = {
        "target": str(target),
        "strategy": str(options.strategy),
        "nodes": [w.name for w in work],
        "skipped": [name for name, _ in skipped],
    }
    if not work:
        reporter.progress(run_wording.nodes_already_there(str(target)))
        return summary
    if options.strategy != NodeUpgradeStrategy.ALL_AT_ONCE:
        refusals = drain_refusals([w for w in work if not _drained(w, surge=surge)], options.flags)
        if refusals:
            raise JobError(run_wording.drain_flags_needed(refusals))
    busy = foreign_maintenance(work)
    if busy:
        raise JobError(run_wording.in_maintenance(busy))
    if dry_run:
        return {**summary, "dry_run": True}
    run = _NodeRun(reporter=reporter, upgrader=configured(), target=target, options=options, work=work)
    strategies = {
        NodeUpgradeStrategy.ONE_AT_A_TIME: run.one_at_a_time,
        NodeUpgradeStrategy.ALL_AT_ONCE: run.all_at_once,
        NodeUpgradeStrategy.SURGE: run.surge,
    }
    with (
        TargetLock(reporter.connection, UPGRADE_LOCK, cluster=reporter.request.cluster),
        _reporting_states(run),
    ):
        strategies[options.strategy]()
    reporter.progress(run_wording.nodes_done(str(target), [w.name for w in work]))
    return {**summary, "upgraded": run.results}


def _drained(item: NodeWork, *, surge: bool) -> bool:
    """Whether a previous run already got past this node's drain (its pods need no new check)."""
    steps = SURGE_STEPS if surge else IN_PLACE_STEPS
    return steps.index(item.step(steps)) > steps.index("drain")
