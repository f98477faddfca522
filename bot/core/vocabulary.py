"""The names of every command, as people type them and as policy rules name them.

Multi-word commands are named in full (``upgrade plan``); this tuple is the single list that the
grammar, the policy validator and ``help`` agree on.
"""

from __future__ import annotations

COMMAND_NAMES: tuple[str, ...] = (
    "help",
    "nodes",
    "status",
    "history",
    "jobs",
    "cordon",
    "uncordon",
    "drain",
    "maintain",
    "unmaintain",
    "rollback",
    "restart",
    "scale",
    "image",
    "strategy",
    "pause",
    "resume",
    "upgrade plan",
    "upgrade control-plane",
    "upgrade nodes",
    "backup config",
    "etcd snapshot",
    "etcd status",
    "etcd restore",
    "cancel",
    "incident open",
    "incident close",
    "note",
    "timeline",
    "approve",
    "deny",
)
"""Every command name, in the order ``help`` lists them."""

READ_ONLY_COMMANDS: frozenset[str] = frozenset(
    {"help", "nodes", "status", "history", "jobs", "upgrade plan", "etcd status", "timeline"}
)
"""Commands that change nothing in the cluster."""
