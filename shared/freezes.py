"""A freeze of a cluster: while it holds, commands that change something are refused.

The bot writes a freeze when someone the policy names types ``freeze`` (``bot.freeze_store``) and
removes it on ``unfreeze`` or at its ``--until``; a deferred job reads it when it starts and is void
if its cluster froze while it waited (``workers.windowing``). One Redis key per cluster, JSON.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any


def freeze_key(cluster: str) -> str:
    """The Redis key holding ``cluster``'s freeze, when it has one."""
    return f"chatops:freeze:{cluster}"


@dataclasses.dataclass(frozen=True)
class Freeze:
    """Who froze which cluster, when, why, and until when (None: until someone unfreezes it)."""

    cluster: str
    reason: str
    by: str
    at: float
    until: float | None = None

    def to_text(self) -> str:
        """The stored form."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_text(cls, raw: bytes | str | None) -> Freeze | None:
        """Read a stored freeze back; None for nothing, or for something that does not read."""
        if raw is None:
            return None
        try:
            data: Any = json.loads(raw)
            until = data.get("until")
            return cls(
                cluster=str(data["cluster"]),
                reason=str(data["reason"]),
                by=str(data["by"]),
                at=float(data["at"]),
                until=None if until is None else float(until),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def holds(self, now: float) -> bool:
        """Whether the freeze still holds at ``now``."""
        return self.until is None or now < self.until
