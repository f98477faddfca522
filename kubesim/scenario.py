"""Loads a scenario, a multi-document YAML file of plain Kubernetes manifests, into the store.

Objects are created through the store in document order; the namespace of a namespaced object is created
when it does not exist yet. An ownerReference without a `uid` is completed from the owner of that kind and
name (same namespace, or cluster scope for Nodes), so static mirror pods can point at their Node. Pods of
controllers are not listed: the controllers create them; only bare and mirror pods appear, pinned with
`spec.nodeName`.

Rollout history: a Deployment may carry the annotation `kubesim.io/history`, a YAML list of past revisions,
oldest first. Each entry has `change-cause` and either `template` (a complete pod template) or `image` (the
Deployment's template with its first container's image replaced). The loader removes the annotation and
creates one scaled-to-zero ReplicaSet per entry, with revisions 1..n, as if the Deployment had rolled out
each of them; the Deployment's own template then becomes revision n+1 when the controller runs.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kubesim.controllers.deployment import DESIRED_REPLICAS, MAX_REPLICAS, REVISION
from kubesim.hashing import template_hash
from kubesim.podutil import POD_TEMPLATE_HASH, controller_reference, meta
from kubesim.resources import RESOURCES

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: ten times faster on large scenarios."""

HISTORY_ANNOTATION = "kubesim.io/history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "default.yaml"
BATCH = 1000
"""Manifests parsed ahead of the store while loading a scenario file."""


def read_scenario(source: str | Path) -> list[Obj]:
    """The manifests of a scenario: "default", a file path, or YAML text (anything containing a newline)."""
    return list(iter_scenario(source))


def iter_scenario(source: str | Path) -> Iterator[Obj]:
    """The manifests of a scenario as the file is read, `BATCH` at a time (see `read_scenario`): a large
    scenario is never in memory whole, and parsing in batches keeps the parser's code hot."""
    if isinstance(source, str) and (source == "default" or "\n" in source):
        text = DEFAULT_SCENARIO.read_text() if source == "default" else source
        yield from (doc for doc in yaml.load_all(text, Loader=_SAFE_LOADER) if doc)
        return
    with Path(source).open(encoding="utf-8") as stream:
        documents = yaml.load_all(stream, Loader=_SAFE_LOADER)
        while batch := list(itertools.islice(documents, BATCH)):
            yield from (doc for doc in batch if doc)


def load_scenario(store: Store, source: str | Path) -> None:
    """Create every object of a scenario through the store.

    The manifests are parsed one at a time and belong to this function alone, so the store adopts each one
    as it is (`create(copy=False)`) instead of copying it: loading 150,000 pods is mostly YAML parsing, and
    no more than one parsed manifest is alive at a time.
    """
    by_kind = {rt.kind: plural for plural, rt in RESOURCES.items()}
    namespaces: set[str] = set()
    for obj in iter_scenario(source):
        kind = obj.get("kind", "")
        resource = by_kind.get(kind)
        if resource is None:
            raise ValueError(f"scenario object of unknown kind {kind!r}")
        namespace = None
        if RESOURCES[resource].namespaced:
            namespace = obj.setdefault("metadata", {}).setdefault("namespace", "default")
            if namespace not in namespaces:
                _ensure_namespace(store, namespace)
                namespaces.add(namespace)
        _complete_owner_references(store, obj, namespace, by_kind)
        history = (
            meta(obj).get("annotations", {}).pop(HISTORY_ANNOTATION, None) if kind == "Deployment" else None
        )
        created = store.create(resource, obj, namespace=namespace, copy=False)
        if history:
            _create_history(store, created, yaml.safe_load(history))


def _ensure_namespace(store: Store, namespace: str) -> None:
    if store.find("namespaces", None, namespace) is None:
        store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})


def _complete_owner_references(
    store: Store, obj: Obj, namespace: str | None, by_kind: dict[str, str]
) -> None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("uid"):
            continue
        resource = by_kind[ref["kind"]]
        owner_namespace = namespace if RESOURCES[resource].namespaced else None
        ref["uid"] = meta(store.peek(resource, owner_namespace, ref["name"]))["uid"]


def _create_history(store: Store, deployment: Obj, entries: list[Obj]) -> None:
    """One scaled-down ReplicaSet per past revision, revisions 1..n in order."""
    spec = deployment["spec"]
    replicas = int(spec.get("replicas", 1))
    for number, entry in enumerate(entries, start=1):
        if "template" in entry:
            template = copy.deepcopy(entry["template"])
        else:
            template = copy.deepcopy(spec["template"])
            template["spec"]["containers"][0]["image"] = entry["image"]
        digest = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = digest
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = digest
        annotations = {
            REVISION: str(number),
            DESIRED_REPLICAS: str(replicas),
            MAX_REPLICAS: str(replicas + 1),
        }
        if entry.get("change-cause"):
            annotations[CHANGE_CAUSE] = entry["change-cause"]
        replica_set = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta(deployment)['name']}-{digest}",
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [controller_reference(deployment)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        store.create("replicasets", replica_set, namespace=meta(deployment)["namespace"])
