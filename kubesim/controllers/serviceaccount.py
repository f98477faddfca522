"""ServiceAccounts controller: every active namespace has a ServiceAccount named ``default``, created
when the namespace is and again if someone deletes it (kube-controller-manager's serviceaccount-controller)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.admission import terminating
from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import WorkQueue
from kubesim.errors import ApiError
from kubesim.podutil import name_of

if TYPE_CHECKING:
    from kubesim.store import Store

DEFAULT_ACCOUNT = "default"


class ServiceAccountsController:
    """Creates the ``default`` ServiceAccount of every namespace that lacks one."""

    name = "serviceaccount"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        """New namespaces, and deleted default accounts, are looked at again."""
        if resource == "namespaces" and event == "ADDED":
            self.queue.add(name_of(obj))
        elif resource == "serviceaccounts" and event == "DELETED" and name_of(obj) == DEFAULT_ACCOUNT:
            self.queue.add(str(obj["metadata"].get("namespace")))

    def sync(self, now: float) -> float | None:
        """Create the missing default accounts."""
        batch = self.queue.take(now)
        if batch.everything:
            names = [name_of(ns) for ns in self.store.list("namespaces", copy=False)[0]]
        else:
            names = sorted(batch.keys)
        for name in names:
            namespace = peek_or_none(self.store, "namespaces", None, name)
            if namespace is None or terminating(namespace):
                continue
            if peek_or_none(self.store, "serviceaccounts", name, DEFAULT_ACCOUNT) is None:
                with tolerate_races():
                    try:
                        self.store.create(
                            "serviceaccounts", {"metadata": {"name": DEFAULT_ACCOUNT}}, namespace=name
                        )
                    except ApiError as error:
                        if error.code != 409:
                            raise
        return None
