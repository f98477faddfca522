"""Node maintenance: cordon and drain as one operation whose record lives on the node itself.

The record is JSON in the node annotation ``chatops.io/maintenance`` (who, which job, when, which pods
moved and which were lost), so it survives worker restarts and anyone can see it with kubectl.
A cluster-wide limit keeps at most :data:`MAX_IN_MAINTENANCE` nodes in maintenance at once; the
check and the record are written under a short Redis lock so two jobs cannot both take the last slot.

A plain ``drain`` takes a slot the same way (:func:`counted_drain`): a node counts while it drains and,
once drained, until ``uncordon`` or ``unmaintain`` removes the record (:func:`release`). A plain cordon
writes no record and does not count.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from shared.messages import jobs as messages
from shared.messages import operations as wording
from workers import cluster
from workers.drain import DrainRefused, drain, plan_drain
from workers.errors import JobError, StalePlan
from workers.kube import list_all
from workers.locks import Guard
from workers.nodes import read_node, set_annotation, set_unschedulable
from workers.pods import DrainFlags
from workers.report import Reporter

ANNOTATION = "chatops.io/maintenance"
MAX_IN_MAINTENANCE = 1
"""Nodes allowed in maintenance at the same time, cluster-wide."""

SLOTS_LOCK = "chatops:lock:{cluster}:maintenance-slots"
"""Taking a maintenance slot is serialised per cluster (the limit is a cluster's)."""
SLOTS_LOCK_SECONDS = 10
"""How long the slots lock lives: its holder only reads the nodes and writes one annotation, and a holder
that died (a SIGKILLed worker) must not block the cluster's maintenance for longer."""
SLOTS_WAIT_SECONDS = SLOTS_LOCK_SECONDS + 5
"""How long to wait for the slots lock: longer than it lives, so a dead holder's lock always runs out first."""


def slots_lock(reporter: Reporter) -> Any:
    """The per-cluster lock under which maintenance slots are counted and taken (maintain and upgrades)."""
    return reporter.connection.lock(
        SLOTS_LOCK.format(cluster=reporter.request.cluster),
        timeout=SLOTS_LOCK_SECONDS,
        blocking_timeout=SLOTS_WAIT_SECONDS,
    )


DRAINED_BY = "drain"
"""The ``by`` field of the records a plain drain writes (so a re-run knows the record as its own)."""


def record_of(node_obj: dict[str, Any]) -> dict[str, Any] | None:
    """The maintenance record on a node, if any (an unreadable one counts as a bare record)."""
    raw = ((node_obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def nodes_in_maintenance(*, besides: str) -> list[str]:
    """Names of the other nodes carrying a maintenance record."""
    nodes, _ = list_all(cluster.core().list_node, missing="nodes")
    return sorted(
        n["metadata"]["name"] for n in nodes if n["metadata"]["name"] != besides and record_of(n) is not None
    )


def _write_record(node: str, record: dict[str, Any]) -> None:
    set_annotation(node, ANNOTATION, json.dumps(record, sort_keys=True))


def _new_record(reporter: Reporter, *, state: str) -> dict[str, Any]:
    request = reporter.request
    return {
        "state": state,
        "job": request.job_id,
        "user": request.user,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _claim(
    node: str, record: dict[str, Any], *, reporter: Reporter, guard: Guard, limit: int, keep: bool
) -> dict[str, Any] | None:
    """Under the slots lock, write ``record`` on ``node`` unless ``limit`` other nodes already count.

    With ``keep``, a node that already carries a record counts already: nothing is written and that
    record is returned. Returns None when ``record`` was written.
    """
    with slots_lock(reporter):
        if keep and (existing := record_of(read_node(node))) is not None:
            return existing
        others = nodes_in_maintenance(besides=node)
        if len(others) >= limit:
            raise JobError(wording.too_many_in_maintenance(node, others=others, limit=limit))
        guard.check()
        _write_record(node, record)
    return None


def counted_drain(
    node: str,
    *,
    flags: DrainFlags,
    grace_period: int | None,
    timeout: float | None,
    dry_run: bool,
    reporter: Reporter,
    guard: Guard,
    limit: int = MAX_IN_MAINTENANCE,
) -> dict[str, Any]:
    """A plain drain that takes a maintenance slot first and keeps it once the node is drained.

    A node already carrying a record (its own drain's, a maintenance's, an upgrade's) counts already and
    drains under it; only a drain's own record is updated. A drain that changed nothing (refused for a
    pod that may not go, or a stale plan) gives its new slot back.
    """

    def run() -> dict[str, Any]:
        return drain(
            node,
            flags=flags,
            grace_period=grace_period,
            timeout=timeout,
            dry_run=dry_run,
            reporter=reporter,
            guard=guard,
        )

    if dry_run:
        return run()
    record = {**_new_record(reporter, state="draining"), "by": DRAINED_BY}
    existing = _claim(node, record, reporter=reporter, guard=guard, limit=limit, keep=True)
    ours = existing is None or existing.get("by") == DRAINED_BY
    try:
        result = run()
    except (DrainRefused, StalePlan):
        if existing is None:
            set_annotation(node, ANNOTATION, None)
        raise
    except JobError as error:
        if ours:
            # The drain's own error is what the requester needs; if the record cannot be written too
            # (the API server gone), the node keeps its "draining" record and its slot, for the re-run.
            with contextlib.suppress(JobError):
                _write_record(node, {**record, "state": "incomplete", "reason": str(error)})
        raise
    if ours:
        _write_record(node, {**record, "state": "drained", "moved": result["moved"], "lost": result["lost"]})
    return result


def release(node: str, *, guard: Guard) -> dict[str, Any] | None:
    """Remove the node's maintenance record, freeing its slot; the record it carried, if any."""
    record = record_of(read_node(node))
    if record is not None:
        guard.check()
        set_annotation(node, ANNOTATION, None)
    return record


def maintain(
    node: str, *, dry_run: bool, reporter: Reporter, guard: Guard, limit: int = MAX_IN_MAINTENANCE
) -> dict[str, Any]:
    """Take a free maintenance slot, record it on the node, then cordon and drain it."""
    planned = plan_drain(node, flags=DrainFlags())
    if dry_run:
        reporter.emit_plan(planned.plan.text, plan=planned.plan.to_json())
        return {"node": node, "dry_run": True, "plan": planned.plan.to_json()}
    reporter.confirm_plan(planned.plan.to_json())
    record = _new_record(reporter, state="draining")
    _claim(node, record, reporter=reporter, guard=guard, limit=limit, keep=False)
    try:
        result = drain(
            node,
            flags=DrainFlags(),
            grace_period=None,
            timeout=None,
            dry_run=False,
            reporter=reporter,
            guard=guard,
        )
    except JobError as error:
        _write_record(node, {**record, "state": "incomplete", "reason": str(error)})
        raise
    _write_record(node, {**record, "state": "drained", "moved": result["moved"], "lost": result["lost"]})
    reporter.progress(wording.maintenance_started(node, moved=result["evicted"]))
    return {**result, "maintenance": "started"}


def unmaintain(node: str, *, dry_run: bool, reporter: Reporter, guard: Guard) -> dict[str, Any]:
    """End maintenance: uncordon, remove the record, and report what the maintenance moved."""
    if dry_run:
        reporter.emit_plan(messages.would_uncordon(node))
        return {"node": node, "dry_run": True, "record": record_of(read_node(node))}
    set_unschedulable(node, value=False, dry_run=False, reporter=reporter, guard=guard)
    record = release(node, guard=guard)
    if record is None:
        reporter.progress(wording.not_in_maintenance(node))
        return {"node": node, "maintenance": None}
    moved = [str(pod) for pod in record.get("moved") or []]
    reporter.progress(wording.maintenance_ended(node, moved=moved, started_by=str(record.get("user") or "")))
    return {"node": node, "maintenance": "ended", "record": record}
