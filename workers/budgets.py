"""PodDisruptionBudgets as a drain sees them: which budgets cover a pod, and what they allow now.

The eviction API answers 429 while a budget allows no disruption; its cause names the budget and its
numbers (``The disruption budget web-pdb needs 2 healthy pods and has 2 currently``), which
:func:`blocking_budget` reads so the drain can wait on that budget instead of sleeping blindly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from workers import selectors

_CAUSE = re.compile(
    r"The disruption budget (?P<name>\S+) needs (?P<desired>\d+) healthy pods? and has (?P<healthy>\d+)"
)


@dataclasses.dataclass(frozen=True)
class BudgetState:
    """A budget's numbers, from its status (or from an eviction's 429 cause)."""

    namespace: str
    name: str
    desired: int
    healthy: int
    allowed: int

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


def state_of(budget: Mapping[str, Any]) -> BudgetState:
    """A PodDisruptionBudget dict's current numbers."""
    meta, status = budget.get("metadata") or {}, budget.get("status") or {}
    return BudgetState(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        desired=int(status.get("desiredHealthy") or 0),
        healthy=int(status.get("currentHealthy") or 0),
        allowed=int(status.get("disruptionsAllowed") or 0),
    )


def covering(pod: Mapping[str, Any], budgets: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The budgets in the pod's namespace whose selector matches the pod's labels."""
    meta = pod.get("metadata") or {}
    return [
        budget
        for budget in budgets
        if (budget.get("metadata") or {}).get("namespace") == meta.get("namespace")
        and selectors.matches((budget.get("spec") or {}).get("selector"), meta.get("labels"))
    ]


def blocking_budget(status: Mapping[str, Any], *, namespace: str) -> BudgetState | None:
    """The budget named by a 429 eviction Status's ``DisruptionBudget`` cause, if any."""
    for cause in (status.get("details") or {}).get("causes") or []:
        found = _CAUSE.search(str(cause.get("message") or ""))
        if found:
            desired, healthy = int(found["desired"]), int(found["healthy"])
            return BudgetState(namespace, found["name"], desired, healthy, max(0, healthy - desired))
    return None
