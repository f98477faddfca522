"""What every active namespace holds from its creation on, made again if someone deletes it: the
ServiceAccount ``default`` (kube-controller-manager's serviceaccount-controller) and the ConfigMap
``kube-root-ca.crt`` with the cluster's CA bundle (its root-ca-cert-publisher)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.admission import terminating
from kubesim.controllers.base import peek_or_none, tolerate_races
from kubesim.controllers.workqueue import WorkQueue
from kubesim.podutil import name_of

if TYPE_CHECKING:
    from kubesim.store import Store

ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such "
    "as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)
ROOT_CA_BUNDLE = "-----BEGIN CERTIFICATE-----\nkubesim serves plain HTTP: no CA\n-----END CERTIFICATE-----\n"
DEFAULTS: dict[str, dict[str, Any]] = {
    "serviceaccounts": {"metadata": {"name": "default"}},
    "configmaps": {
        "metadata": {
            "name": "kube-root-ca.crt",
            "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION},
        },
        "data": {"ca.crt": ROOT_CA_BUNDLE},
    },
}
"""The objects every namespace gets, by resource."""


class NamespaceDefaultsController:
    """Creates the default ServiceAccount and root CA ConfigMap of every namespace that lacks them."""

    name = "namespacedefaults"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: WorkQueue[str] = WorkQueue()

    def observe(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        """New namespaces, and deleted defaults, are looked at again."""
        if resource == "namespaces" and event == "ADDED":
            self.queue.add(name_of(obj))
        elif (
            event == "DELETED"
            and resource in DEFAULTS
            and name_of(obj) == DEFAULTS[resource]["metadata"]["name"]
        ):
            self.queue.add(str(obj["metadata"].get("namespace")))

    def sync(self, now: float) -> float | None:
        """Create what is missing."""
        batch = self.queue.take(now)
        if batch.everything:
            names = [name_of(ns) for ns in self.store.list("namespaces", copy=False)[0]]
        else:
            names = sorted(batch.keys)
        for name in names:
            namespace = peek_or_none(self.store, "namespaces", None, name)
            if namespace is None or terminating(namespace):
                continue
            for resource, obj in DEFAULTS.items():
                if peek_or_none(self.store, resource, name, obj["metadata"]["name"]) is None:
                    with tolerate_races():
                        self.store.create(resource, obj, namespace=name)
        return None
