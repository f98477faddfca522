"""Evicting a node's pods the way ``kubectl drain`` does, but watching budgets instead of sleeping.

Every pod gets its own thread (kubectl: one goroutine per pod), and each eviction goes through the
eviction API so PodDisruptionBudgets are honoured. Per pod: 201 means accepted, then we wait until
the pod is gone or replaced (a new UID under the same name); 404 means already gone; 429 means a
budget allows no disruption right now, so we poll that budget cheaply and retry as soon as it
allows one (kubectl sleeps a fixed 5 s); any other error, including the 500 for a pod covered by
several budgets, fails that pod at once. A global deadline and a cooperative cancel stop everything
between two calls; what was evicted by then is reported.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from shared.messages import operations as wording
from workers import cluster
from workers.budgets import BudgetState, blocking_budget, state_of
from workers.kube import call_json, is_transient, status_body, status_message
from workers.report import Reporter

MAX_PARALLEL = 32
"""Evictions in flight at once (kubectl has no cap; a thread each is plenty up to this)."""

POLL_SECONDS = 0.25
"""How often a pod being deleted, or a budget being waited on, is read again."""

RETRY_SECONDS = 1.0
"""Pause before retrying an eviction refused for another reason than a named budget."""

CANCEL_CHECK_SECONDS = 0.25
"""How often the coordinating thread checks for a cancel and the deadline."""


class Ending(enum.StrEnum):
    """How one pod's eviction ended."""

    GONE = "gone"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclasses.dataclass(frozen=True)
class Target:
    """One pod to evict, identified by UID so a same-name replacement counts as gone."""

    namespace: str
    name: str
    uid: str

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    @classmethod
    def of(cls, pod: Mapping[str, Any]) -> Target:
        """The target for a pod dict."""
        meta = pod.get("metadata") or {}
        return cls(str(meta.get("namespace", "")), str(meta.get("name", "")), str(meta.get("uid", "")))


@dataclasses.dataclass
class EvictionReport:
    """What happened to every pod: gone, accepted but not yet gone, failed, or never evicted."""

    gone: list[str] = dataclasses.field(default_factory=list)
    accepted: list[str] = dataclasses.field(default_factory=list)
    failures: dict[str, str] = dataclasses.field(default_factory=dict)
    pending: list[str] = dataclasses.field(default_factory=list)
    cancelled: bool = False
    timed_out: bool = False

    @property
    def evicted(self) -> list[str]:
        """Pods whose eviction the API accepted (gone or still terminating)."""
        return sorted({*self.gone, *self.accepted})


class Evictions:
    """One drain's evictions: run them all in parallel under one deadline."""

    def __init__(self, *, reporter: Reporter, grace_period: int | None, deadline: float) -> None:
        self._reporter = reporter
        self._grace_period = grace_period
        self._deadline = deadline
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._report = EvictionReport()
        self._total = 0
        self._budget_said: dict[str, tuple[int, int]] = {}
        self._namespace_said: set[str] = set()

    def run(self, pods: Sequence[Mapping[str, Any]]) -> EvictionReport:
        """Evict ``pods`` and wait for each to go; returns when all ended, or on cancel/deadline."""
        targets = [Target.of(pod) for pod in pods]
        self._total = len(targets)
        if not targets:
            return self._report
        workers = min(MAX_PARALLEL, len(targets))
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="evict") as pool:
            futures = {pool.submit(self._evict, target): target for target in targets}
            waiting = set(futures)
            while waiting:
                finished, waiting = concurrent.futures.wait(waiting, timeout=CANCEL_CHECK_SECONDS)
                for future in finished:
                    self._record(futures[future], *future.result())
                if not self._stop.is_set() and self._reporter.cancel_requested():
                    self._report.cancelled = True
                    self._stop.set()
                if not self._stop.is_set() and time.monotonic() >= self._deadline:
                    self._report.timed_out = True
                    self._stop.set()
        return self._report

    def _record(self, target: Target, ending: Ending, message: str) -> None:
        if ending == Ending.FAILED:
            self._report.failures[target.key] = message
        elif ending == Ending.STOPPED and target.key not in self._report.accepted:
            self._report.pending.append(target.key)
        if ending == Ending.STOPPED and not self._report.cancelled and not self._report.timed_out:
            self._report.timed_out = True

    def _stopping(self) -> bool:
        return self._stop.is_set() or time.monotonic() >= self._deadline

    def _pause(self, seconds: float) -> None:
        self._stop.wait(max(0.0, min(seconds, self._deadline - time.monotonic())))

    def _body(self, target: Target) -> client.V1Eviction:
        options = None
        if self._grace_period is not None:
            options = client.V1DeleteOptions(grace_period_seconds=self._grace_period)
        return client.V1Eviction(
            metadata=client.V1ObjectMeta(name=target.name, namespace=target.namespace),
            delete_options=options,
        )

    def _evict(self, target: Target) -> tuple[Ending, str]:
        """Evict one pod; an unexpected API error while retrying or waiting fails that pod only."""
        try:
            return self._evict_and_wait(target)
        except ApiException as error:
            return Ending.FAILED, wording.eviction_failed(target.key, status_message(error))

    def _evict_and_wait(self, target: Target) -> tuple[Ending, str]:
        """Evict one pod, retrying while budgets say not yet; then wait for it to go."""
        while True:
            if self._stopping():
                return Ending.STOPPED, ""
            try:
                call_json(
                    cluster.core().create_namespaced_pod_eviction,
                    target.name,
                    target.namespace,
                    self._body(target),
                )
            except ApiException as error:
                if error.status == 404:
                    return self._gone(target)
                if error.status == 429:
                    self._wait_after_refusal(target, status_body(error))
                    if self._is_gone(target):
                        return self._gone(target)
                    continue
                if error.status == 403 and _namespace_terminating(status_body(error)):
                    self._say_namespace_terminating(target)
                    self._pause(RETRY_SECONDS)
                    continue
                if error.status == 500 and "more than one PodDisruptionBudget" in status_message(error):
                    return Ending.FAILED, wording.multiple_budgets(target.key, status_message(error))
                return Ending.FAILED, wording.eviction_failed(target.key, status_message(error))
            except HTTPError as error:
                return Ending.FAILED, wording.eviction_failed(
                    target.key, wording.api_timeout(type(error).__name__)
                )
            with self._lock:
                self._report.accepted.append(target.key)
            return self._wait_until_gone(target)

    def _wait_after_refusal(self, target: Target, status: Mapping[str, Any]) -> None:
        """After a 429: wait on the named budget, or for the server's Retry-After."""
        budget = blocking_budget(status, namespace=target.namespace)
        if budget is None:
            retry_after = float((status.get("details") or {}).get("retryAfterSeconds") or RETRY_SECONDS)
            self._pause(min(retry_after, 5.0))
            return
        self._say_waiting(budget)
        while not self._stopping():
            try:
                current = call_json(
                    cluster.policy().read_namespaced_pod_disruption_budget, budget.name, budget.namespace
                )
            except ApiException as error:
                if error.status == 404:
                    return
                if not is_transient(error):
                    raise
            except HTTPError:
                pass
            else:
                state = state_of(current)
                if state.allowed > 0:
                    return
                self._say_waiting(state)
            self._pause(POLL_SECONDS)

    def _say_namespace_terminating(self, target: Target) -> None:
        """Once per pod: its namespace is being deleted, and that deletion will take the pod."""
        with self._lock:
            if target.key in self._namespace_said:
                return
            self._namespace_said.add(target.key)
        self._reporter.progress(wording.waiting_on_namespace(target.key, target.namespace), pod=target.key)

    def _say_waiting(self, budget: BudgetState) -> None:
        numbers = (budget.desired, budget.healthy)
        with self._lock:
            if self._budget_said.get(budget.key) == numbers:
                return
            self._budget_said[budget.key] = numbers
        self._reporter.progress(
            wording.waiting_on_budget(budget.name, desired=budget.desired, healthy=budget.healthy),
            budget=budget.key,
        )

    def _is_gone(self, target: Target) -> bool:
        """True when the pod no longer exists, or a new pod took its name."""
        try:
            pod = call_json(cluster.core().read_namespaced_pod, target.name, target.namespace)
        except ApiException as error:
            if error.status == 404:
                return True
            if is_transient(error):
                return False
            raise
        except HTTPError:
            return False
        return str((pod.get("metadata") or {}).get("uid", "")) != target.uid

    def _wait_until_gone(self, target: Target) -> tuple[Ending, str]:
        while not self._is_gone(target):
            if self._stopping():
                return Ending.STOPPED, ""
            self._pause(POLL_SECONDS)
        return self._gone(target)

    def _gone(self, target: Target) -> tuple[Ending, str]:
        with self._lock:
            self._report.gone.append(target.key)
            done = len(self._report.gone)
        self._reporter.progress(wording.evicted_progress(done, self._total, target.key), pod=target.key)
        return Ending.GONE, ""


def _namespace_terminating(status: Mapping[str, Any]) -> bool:
    """A 403 of the NamespaceLifecycle admission plugin: the pod goes with its namespace, so wait (as
    kubectl drain does). On the wire a StatusCause's type is ``reason`` (Go's field is ``Type``)."""
    causes = (status.get("details") or {}).get("causes") or []
    return any(cause.get("reason") == "NamespaceTerminating" for cause in causes)
