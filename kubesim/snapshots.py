"""Lists at an exact past resourceVersion (``resourceVersionMatch=Exact``), rebuilt from the store's
watch history: the current objects with every later event undone, newest first. A version older than
the kept history is 410 Expired, one newer than the store 504, in the API server's words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kubesim.errors import ApiError

if TYPE_CHECKING:
    from kubesim.records import Event

Obj = dict[str, Any]
Key = tuple[str, str]


def too_old() -> ApiError:
    """410 for an exact list whose version the history no longer holds."""
    return ApiError(410, "Expired", "The resourceVersion for the provided list is too old.")


def too_large(wanted: int, current: int) -> ApiError:
    """504 for a version the store has not reached."""
    return ApiError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {wanted}, current: {current}",
        details={"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]},
    )


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    return str(meta.get("namespace") or ""), str(meta["name"])


def state_at(current: Iterable[Obj], later_events: list[Event]) -> list[Obj]:
    """The objects as they were before `later_events` (oldest first) happened, sorted by key."""
    objects = {_key(obj): obj for obj in current}
    for event in reversed(later_events):
        key = _key(event.obj)
        if event.type == "ADDED":
            objects.pop(key, None)
        elif event.type == "MODIFIED" and event.old is not None:
            objects[key] = event.old
        elif event.type == "DELETED":
            objects[key] = event.old if event.old is not None else event.obj
    return [objects[key] for key in sorted(objects)]
