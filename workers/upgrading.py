"""Carrying out ``upgrade control-plane VERSION`` and ``upgrade nodes VERSION``, one checkpointed step at a time.

Control plane (in kubeadm's order, https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/):
refuse a skipped minor, a downgrade, and a target some kubelet or kube-proxy would be too old for; then
kube-apiserver (every instance) → kube-controller-manager → kube-scheduler, each through the
:class:`~workers.upgraders.ControlPlaneUpgrader` and confirmed by reading its mirror pod (and ``/version``);
then kube-proxy's DaemonSet follows to the new version (:mod:`workers.kube_proxy`). etcd is left alone
(upgraded separately). A re-run resumes: a component already at the target is skipped, and the current
version is the *oldest* component's.

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
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kubernetes import client

from shared.commands import NodeUpgradeStrategy
from shared.messages import operations
from shared.messages import upgrade_runs as run_wording
from shared.messages import upgrades as wording
from workers import cluster, maintenance, windowing
from workers.drain import drain, plan_drain
from workers.errors import Cancelled, JobError, NotFound
from workers.kube import call_json, list_all, read
from workers.kube_proxy import follow_control_plane, lags_behind
from workers.locks import UPGRADE_LOCK, Guard, TargetLock
from workers.nodes import is_unschedulable, read_node, set_annotation, set_unschedulable
from workers.pods import DrainFlags, pod_key
from workers.report import Reporter
from workers.upgraders import Upgrader, configured
from workers.upgrades import CONTROL_PLANE_LABEL, moves_on_drain, read_inventory, resolve_target
from workers.versions import Version, image_tag, parse_version, too_old_for
from workers.windowing import WindowEnded

CHECKPOINT = "chatops.io/upgrade"
"""The node annotation holding a node's upgrade checkpoint (JSON)."""

UPGRADED_BY = "upgrade nodes"
"""The ``by`` field of the maintenance records this module writes (so a re-run knows them as its own)."""

CONTROL_PLANE_ORDER = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
IN_PLACE_STEPS = ("drain", "upgrade", "ready", "uncordon")
ALL_AT_ONCE_STEPS = ("cordon", "upgrade", "ready", "uncordon")
SURGE_STEPS = ("provision", "drain", "retire")

READY_TIMEOUT_SECONDS = 600.0
"""How long a node (or a component) may take to come back at the new version."""

RETURN_WAIT_SECONDS = 30.0
"""How long to wait, after uncordoning, for pods that had nowhere to go to find a node again."""

POLL_SECONDS = 0.2


# --- reading ------------------------------------------------------------------------------------------


def _apiserver_version() -> Version:
    info = call_json(client.VersionApi(cluster.api_client()).get_code)
    version = parse_version(str(info.get("gitVersion", "")))
    if version is None:
        raise JobError(wording.version_unreadable(str(info.get("gitVersion", ""))))
    return version


def _is_ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _kubelet(node: Mapping[str, Any]) -> Version | None:
    return parse_version(str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")))


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name"))


def _wait(condition: Callable[[], bool], *, seconds: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


# --- the control plane --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ComponentPod:
    """One control-plane component instance, known by its mirror pod."""

    component: str
    pod: str
    node: str
    version: Version


def control_plane_pods() -> list[ComponentPod]:
    """kube-apiserver, controller-manager and scheduler mirror pods in kube-system, in upgrade order."""
    pods, _ = list_all(
        cluster.core().list_namespaced_pod, "kube-system", missing=wording.namespace_missing("kube-system")
    )
    found = []
    for pod in pods:
        component = ((pod.get("metadata") or {}).get("labels") or {}).get("component")
        if component not in CONTROL_PLANE_ORDER:
            continue
        version = _pod_version(pod, component)
        if version is not None:
            node = str((pod.get("spec") or {}).get("nodeName") or "?")
            found.append(ComponentPod(component, _name(pod), node, version))
    return sorted(found, key=lambda p: (CONTROL_PLANE_ORDER.index(p.component), p.node, p.pod))


def _pod_version(pod: Mapping[str, Any], component: str) -> Version | None:
    containers = (pod.get("spec") or {}).get("containers") or []
    chosen = next((c for c in containers if c.get("name") == component), containers[0] if containers else {})
    tag = image_tag(str(chosen.get("image", "")))
    return parse_version(tag) if tag else None


def upgrade_control_plane(version: str, *, dry_run: bool, reporter: Reporter) -> dict[str, Any]:
    """Plan, then upgrade kube-apiserver → controller-manager → scheduler to ``version``."""
    pods = control_plane_pods()
    if not pods:
        raise JobError(run_wording.no_static_control_plane())
    current = min(p.version for p in pods)
    target = _finishing(current, version) or resolve_target(current, version)
    too_old = too_old_for(target, read_inventory().components)
    if too_old:
        nodes = sorted({c.where for c in too_old})
        raise JobError(
            run_wording.nodes_too_old_for_control_plane(nodes, target=str(target), current=str(current))
        )
    steps = [(p.component, p.node, str(p.version), not p.version.is_older_than(target)) for p in pods]
    reporter.emit_plan(run_wording.control_plane_plan(current=str(current), target=str(target), steps=steps))
    result: dict[str, Any] = {
        "current": str(current),
        "target": str(target),
        "steps": [{"component": p.component, "node": p.node, "from": str(p.version)} for p in pods],
    }
    if dry_run:
        return {**result, "dry_run": True}
    upgrader = configured()
    done: list[str] = []
    with TargetLock(reporter.connection, UPGRADE_LOCK, cluster=reporter.request.cluster) as lock:
        for pod in pods:
            label = f"{pod.component}@{pod.node}"
            if reporter.cancel_requested():
                remaining = [f"{p.component}@{p.node}" for p in pods if f"{p.component}@{p.node}" not in done]
                raise Cancelled(run_wording.upgrade_cancelled(done, remaining=remaining))
            if not pod.version.is_older_than(target):
                reporter.progress(
                    run_wording.component_skipped(pod.component, node=pod.node, version=str(pod.version))
                )
                done.append(label)
                continue
            lock.check()
            reporter.progress(run_wording.component_started(pod.component, node=pod.node, target=str(target)))
            upgrader.upgrade_component(pod.component, pod=pod.pod, node=pod.node, version=target)
            now = _wait_component(pod, target)
            reporter.progress(run_wording.component_done(pod.component, node=pod.node, version=str(now)))
            if pod.component == "kube-apiserver":
                reporter.progress(run_wording.apiserver_reports(str(_wait_apiserver(target))))
            done.append(label)
        lock.check()
        kube_proxy = follow_control_plane(target, reporter=reporter)
    reporter.progress(run_wording.etcd_separate())
    reporter.progress(run_wording.control_plane_done(str(target)))
    return {**result, "upgraded": done, "kube_proxy": kube_proxy, "version": str(_apiserver_version())}


def _finishing(current: Version, version: str) -> Version | None:
    """``current`` when the control plane is at ``version`` already but kube-proxy is not.

    That is a run stopped after its last component and before kube-proxy: the same command again
    finishes it (every component is skipped) rather than being refused as "already there".
    """
    target = parse_version(version)
    if target is None or target != current or not lags_behind(target):
        return None
    return target


def _wait_component(pod: ComponentPod, target: Version) -> Version:
    seen: list[Version] = []

    def arrived() -> bool:
        found = read(
            cluster.core().read_namespaced_pod,
            pod.pod,
            "kube-system",
            missing=run_wording.component_pod_missing(pod.component, pod.pod),
        )
        version = _pod_version(found, pod.component)
        seen[:] = [version] if version is not None else []
        return version is not None and not version.is_older_than(target)

    if not _wait(arrived, seconds=READY_TIMEOUT_SECONDS):
        raise JobError(
            run_wording.component_timeout(
                pod.component, node=pod.node, target=str(target), seconds=READY_TIMEOUT_SECONDS
            )
        )
    return seen[0]


def _wait_apiserver(target: Version) -> Version:
    seen: list[Version] = []

    def arrived() -> bool:
        seen[:] = [_apiserver_version()]
        return not seen[0].is_older_than(target)

    if not _wait(arrived, seconds=READY_TIMEOUT_SECONDS):
        raise JobError(
            run_wording.component_timeout(
                "kube-apiserver", node="/version", target=str(target), seconds=READY_TIMEOUT_SECONDS
            )
        )
    return seen[0]


# --- node checkpoints ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """Where one node's upgrade stands, kept on the node so a re-run resumes there."""

    target: str
    strategy: str
    step: str
    job: str
    was_cordoned: bool = False
    moved: tuple[str, ...] = ()
    replacement: str | None = None

    def to_json(self) -> str:
        """The annotation value."""
        return json.dumps({**dataclasses.asdict(self), "moved": list(self.moved)}, sort_keys=True)

    @classmethod
    def of(cls, node: Mapping[str, Any]) -> Checkpoint | None:
        """The node's checkpoint; ``None`` without one (an unreadable one counts as none)."""
        raw = ((node.get("metadata") or {}).get("annotations") or {}).get(CHECKPOINT)
        try:
            data = json.loads(raw) if raw else None
            if not isinstance(data, dict):
                return None
            return cls(
                target=str(data["target"]),
                strategy=str(data["strategy"]),
                step=str(data["step"]),
                job=str(data.get("job", "")),
                was_cordoned=bool(data.get("was_cordoned")),
                moved=tuple(str(p) for p in data.get("moved") or ()),
                replacement=data.get("replacement"),
            )
        except (ValueError, KeyError, TypeError):
            return None


def _save(node: str, checkpoint: Checkpoint | None) -> None:
    set_annotation(node, CHECKPOINT, None if checkpoint is None else checkpoint.to_json())


def replacement_name(node: str, target: Version) -> str:
    """The name of a surge replacement: ``node-2`` → ``node-2-v1-31`` (an earlier suffix is replaced)."""
    base = re.sub(r"-v\d+-\d+$", "", node)
    return f"{base}-v{target.major}-{target.minor}"


# --- nodes: what to do --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NodeWork:
    """One node to upgrade, and where a previous run left it."""

    name: str
    kubelet: Version | None
    cordoned: bool
    resume: Checkpoint | None

    def step(self, steps: Sequence[str]) -> str:
        """The step to start at."""
        return self.resume.step if self.resume is not None and self.resume.step in steps else steps[0]


@dataclasses.dataclass(frozen=True)
class NodeOptions:
    """What the operator chose for ``upgrade nodes``."""

    strategy: NodeUpgradeStrategy
    flags: DrainFlags
    ready_timeout: float = READY_TIMEOUT_SECONDS


def node_target(version: str, control_plane: Version) -> Version:
    """The kubelet version to reach, refusing one newer than kube-apiserver.

    A minor (``v1.31``) of the control plane's own minor means the control plane's exact version.
    """
    target = parse_version(version)
    if target is None:
        raise JobError(wording.version_unreadable(version))
    if target.release > control_plane.release or (target.patch is not None and target > control_plane):
        raise JobError(
            run_wording.newer_than_control_plane(target=str(target), control_plane=str(control_plane))
        )
    if target.patch is None and target.release == control_plane.release:
        return control_plane
    return target


def _select(
    nodes: Sequence[Mapping[str, Any]], names: Sequence[str], target: Version, strategy: NodeUpgradeStrategy
) -> tuple[list[NodeWork], list[tuple[str, str]]]:
    by_name = {_name(n): n for n in nodes}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise NotFound(run_wording.unknown_nodes(unknown))
    chosen = list(names) or sorted(
        name
        for name, n in by_name.items()
        if CONTROL_PLANE_LABEL not in ((n.get("metadata") or {}).get("labels") or {})
    )
    work: list[NodeWork] = []
    skipped: list[tuple[str, str]] = []
    for name in chosen:
        node = by_name[name]
        kubelet = _kubelet(node)
        checkpoint = Checkpoint.of(node)
        if checkpoint is not None and (checkpoint.target != str(target) or checkpoint.strategy != strategy):
            checkpoint = dataclasses.replace(checkpoint, step="", target=str(target), strategy=str(strategy))
        if kubelet is not None and not kubelet.is_older_than(target) and checkpoint is None:
            skipped.append((name, str(kubelet)))
            continue
        work.append(NodeWork(name, kubelet, is_unschedulable(dict(node)), checkpoint))
    work.sort(key=lambda w: (w.resume is None or not w.resume.step, chosen.index(w.name)))
    return work, skipped


def _drain_refusals(work: Sequence[NodeWork], flags: DrainFlags) -> list[tuple[str, str, list[str]]]:
    refusals = []
    for item in work:
        for message, pods in plan_drain(item.name, flags=flags).selection.errors().items():
            refusals.append((item.name, message, list(pods)))
    return refusals


def _foreign_maintenance(work: Sequence[NodeWork]) -> list[str]:
    names = {w.name for w in work}
    return sorted(
        name
        for name in names
        if (record := maintenance.record_of(read_node(name))) is not None and record.get("by") != UPGRADED_BY
    )


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
        _save(item.name, saved)
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
            kubelet = _kubelet(found)
            seen[:] = [kubelet] if kubelet is not None else []
            return _is_ready(found) and kubelet is not None and not kubelet.is_older_than(self.target)

        if not _wait(ready, seconds=self.options.ready_timeout):
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
        if not _wait(lambda: not (_unscheduled() - self.unscheduled_before), seconds=RETURN_WAIT_SECONDS):
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
        _save(item.name, None)
        version = _kubelet(read_node(item.name)) or self.target
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
                        _save(item.name, item.resume)
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
    control_plane = _apiserver_version()
    target = node_target(version, control_plane)
    node_items, _ = list_all(cluster.core().list_node, missing="the node list is missing")
    work, skipped = _select(node_items, nodes, target, options.strategy)
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
        refusals = _drain_refusals([w for w in work if not _drained(w, surge=surge)], options.flags)
        if refusals:
            raise JobError(run_wording.drain_flags_needed(refusals))
    busy = _foreign_maintenance(work)
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


__all__ = [
    "CHECKPOINT",
    "Checkpoint",
    "ComponentPod",
    "NodeOptions",
    "control_plane_pods",
    "node_target",
    "replacement_name",
    "upgrade_control_plane",
    "upgrade_nodes",
]
