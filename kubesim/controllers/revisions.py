"""ControllerRevisions: the history of a DaemonSet's or StatefulSet's pod template, one object per
template the controller has rolled out (``<owner>-<hash>``, numbered from 1), as kubectl's
``rollout history`` and ``rollout undo`` read them for these kinds.

The data is the template as a strategic merge patch that replaces it (``$patch: replace``), with the keys
sorted as Go writes a map; a DaemonSet's revision carries its generation, a StatefulSet's the selector's
labels and the ``controller.kubernetes.io/hash`` label.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kubesim.controllers.base import peek_or_none
from kubesim.podutil import controller_reference, meta, name_of

if TYPE_CHECKING:
    from kubesim.store import Store

Obj = dict[str, Any]
DAEMONSET_HASH_LABEL = "controller-revision-hash"
STATEFULSET_HASH_LABEL = "controller.kubernetes.io/hash"
GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"


def _data(template: Obj) -> Obj:
    ordered = json.loads(json.dumps(template, sort_keys=True))
    return {"spec": {"template": {"$patch": "replace", **ordered}}}


def ensure_revision(store: Store, owner: Obj, template_hash: str) -> None:
    """Record the owner's current template as a ControllerRevision unless it is recorded already.

    A template rolled out again (a ``rollout undo``) keeps its revision object, which becomes the
    latest: its ``revision`` is raised past every other one, as the DaemonSet and StatefulSet
    controllers do, so ``rollout history`` after an undo of 2 to 1 lists 2 and 3."""
    namespace = meta(owner).get("namespace")
    name = f"{name_of(owner)}-{template_hash}"
    existing = peek_or_none(store, "controllerrevisions", namespace, name)
    earlier = store.owned_by(str(meta(owner)["uid"]), "controllerrevisions", copy=False)
    latest = max((int(r.get("revision") or 0) for r in earlier), default=0)
    if existing is not None:
        if int(existing.get("revision") or 0) < latest:
            _renumber(store, owner, existing, latest + 1)
        return
    template = (owner.get("spec") or {}).get("template") or {}
    if owner["kind"] == "DaemonSet":
        labels = {
            **((template.get("metadata") or {}).get("labels") or {}),
            DAEMONSET_HASH_LABEL: template_hash,
        }
        annotations = {GENERATION_ANNOTATION: str(meta(owner).get("generation", 1))}
    else:
        selected = ((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        labels = {**selected, STATEFULSET_HASH_LABEL: template_hash}
        annotations = {}
    revision = latest + 1
    metadata: Obj = {"name": name, "labels": labels, "ownerReferences": [controller_reference(owner)]}
    if annotations:
        metadata["annotations"] = annotations
    store.create(
        "controllerrevisions",
        {"metadata": metadata, "data": _data(template), "revision": revision},
        namespace=namespace,
    )


def _renumber(store: Store, owner: Obj, existing: Obj, revision: int) -> None:
    """Make an earlier revision the latest again (a DaemonSet's also takes the current generation)."""
    generation = str(meta(owner).get("generation", 1))

    def renumber(obj: Obj) -> None:
        obj["revision"] = revision
        if owner["kind"] == "DaemonSet":
            obj.setdefault("metadata", {}).setdefault("annotations", {})[GENERATION_ANNOTATION] = generation

    store.mutate("controllerrevisions", meta(existing).get("namespace"), name_of(existing), renumber)
