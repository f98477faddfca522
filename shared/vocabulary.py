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
    "backup secrets",
    "backup list",
    "backup show",
    "backup restore",
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
    {
        "help",
        "nodes",
        "status",
        "history",
        "jobs",
        "upgrade plan",
        "backup list",
        "backup show",
        "backup restore",
        "etcd status",
        "timeline",
    }
)
"""Commands that change nothing in the cluster (``backup restore`` only previews a restore)."""

EXPLICIT_ONLY_COMMANDS: frozenset[str] = frozenset({"backup secrets"})
"""Commands a policy rule must name: ``"*"`` in a rule's ``commands`` does not grant them.

``backup secrets`` is ``backup config`` with ``--include-secrets``: the export then holds Secret data."""
