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
    """Record the owner's current template as a ControllerRevision unless it is recorded already."""
    namespace = meta(owner).get("namespace")
    name = f"{name_of(owner)}-{template_hash}"
    if peek_or_none(store, "controllerrevisions", namespace, name) is not None:
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
    earlier = store.owned_by(str(meta(owner)["uid"]), "controllerrevisions", copy=False)
    revision = max((int(r.get("revision") or 0) for r in earlier), default=0) + 1
    metadata: Obj = {"name": name, "labels": labels, "ownerReferences": [controller_reference(owner)]}
    if annotations:
        metadata["annotations"] = annotations
    store.create(
        "controllerrevisions",
        {"metadata": metadata, "data": _data(template), "revision": revision},
        namespace=namespace,
    )
